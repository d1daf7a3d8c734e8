"""The request plumbing every domain's doors stand on: the unit of work, who is calling, the error
contract, page rendering, translation, and what every request goes through. Beneath the domains:
it knows the database and the core, and nothing of any domain."""
