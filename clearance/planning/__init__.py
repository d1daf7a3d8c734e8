"""Planning the bridges: how many kiosks a lane group needs so that the morning's queue stays
short, simulated from an arrival profile and the lanes' service times (``hetao plan``)."""
