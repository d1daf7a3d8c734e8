"""The catalogue's words for what the server refuses and why (``clearance.core.messages``): every
error a service, a dependency or a page raises, in Traditional Chinese (as written in Hong Kong)
and Simplified Chinese (as written in Shenzhen). Keys are the English templates, values keep the
same ``{names}``; a name quoted in English (``{name!r}``) is set in 「」 here. A test reads every
template in the code and fails on one without both translations."""

from __future__ import annotations

REFUSALS: dict[str, tuple[str, str]] = {
    # Accounts and organisations
    "an enroller must belong to an organisation: give organisation_id": (
        "登記人員必須屬於一個機構：請提供機構。",
        "登记人员必须属于一个机构：请提供机构。",
    ),
    "an enroller must belong to an organisation: give one": (
        "登記人員必須屬於一個機構：請選擇機構。",
        "登记人员必须属于一个机构：请选择机构。",
    ),
    "you cannot disable your own account": ("你不能停用自己的帳戶。", "你不能停用自己的账户。"),
    "you cannot change your own role": ("你不能更改自己的角色。", "你不能更改自己的角色。"),
    "you cannot reset your own password here: ask another administrator": (
        "你不能在此重設自己的密碼：請另一位管理員處理。",
        "你不能在此重置自己的密码：请另一位管理员处理。",
    ),
    "wrong username or password": ("用戶名稱或密碼錯誤。", "用户名或密码错误。"),
    "this account is disabled": ("此帳戶已停用。", "此账户已停用。"),
    "an organisation named {name!r} already exists": (
        "已有名為「{name}」的機構。",
        "已有名为“{name}”的机构。",
    ),
    "an organisation named {new_name!r} already exists": (
        "已有名為「{new_name}」的機構。",
        "已有名为“{new_name}”的机构。",
    ),
    "no organisation with id {organisation_id}": (
        "找不到編號為 {organisation_id} 的機構。",
        "找不到编号为 {organisation_id} 的机构。",
    ),
    "no organisation named {reference!r}": (
        "找不到名為「{reference}」的機構。",
        "找不到名为“{reference}”的机构。",
    ),
    "{count} organisations are named {reference!r}: give the id": (
        "有 {count} 個機構名為「{reference}」：請提供編號。",
        "有 {count} 个机构名为“{reference}”：请提供编号。",
    ),
    "a user with role {role} does not belong to an organisation": (
        "角色為「{role}」的用戶不屬於任何機構。",
        "角色为“{role}”的用户不属于任何机构。",
    ),
    "a user with role {new_role} does not belong to an organisation": (
        "角色為「{new_role}」的用戶不屬於任何機構。",
        "角色为“{new_role}”的用户不属于任何机构。",
    ),
    "the username {username!r} is taken": (
        "用戶名稱「{username}」已被使用。",
        "用户名“{username}”已被使用。",
    ),
    "no user {reference!r}": ("找不到用戶「{reference}」。", "找不到用户“{reference}”。"),
    "the user {username!r} is already enabled": (
        "用戶「{username}」已經啟用。",
        "用户“{username}”已经启用。",
    ),
    "the user {username!r} is already disabled": (
        "用戶「{username}」已經停用。",
        "用户“{username}”已经停用。",
    ),
    "language must be one of {languages}": (
        "語言必須是以下其中之一：{languages}",
        "语言必须是以下其中之一：{languages}",
    ),
    "too many failed sign-ins for this account or from this address: try again in {minutes} minutes": (
        "此帳戶或此地址登入失敗次數過多：請於 {minutes} 分鐘後再試。",
        "此账户或此地址登录失败次数过多：请于 {minutes} 分钟后再试。",
    ),
    "a password must be at least {least} characters long": (
        "密碼最少要有 {least} 個字元。",
        "密码至少要有 {least} 个字符。",
    ),
    "this password is too easy to guess{why}: use a longer, less common one": (
        "此密碼太容易被猜中：請用較長、較少見的密碼。",
        "此密码太容易被猜中：请使用更长、更少见的密码。",
    ),
    "{what} name cannot hold control characters": (
        "{what}名稱不可包含控制字元。",
        "{what}名称不能包含控制字符。",
    ),
    "{what} needs a name": ("{what}需要名稱。", "{what}需要名称。"),
    "{what} name is at most {most} characters": (
        "{what}名稱最多 {most} 個字元。",
        "{what}名称最多 {most} 个字符。",
    ),
    "an organisation": ("機構", "机构"),
    "a checkpoint": ("管制站", "管制站"),
    "a kiosk": ("自助機", "自助机"),
    # Signing in, roles, tokens
    "sign in: send 'Authorization: Bearer <token>' from /api/v1/auth/token": (
        "請先登入：傳送由 /api/v1/auth/token 取得的 'Authorization: Bearer <token>'。",
        "请先登录：发送由 /api/v1/auth/token 取得的 'Authorization: Bearer <token>'。",
    ),
    "a kiosk key reaches only the /api/v1/kiosk endpoints": (
        "自助機密鑰只可用於 /api/v1/kiosk 端點。",
        "自助机密钥只能用于 /api/v1/kiosk 端点。",
    ),
    "the access token is invalid or expired: sign in again": (
        "存取權杖無效或已過期：請重新登入。",
        "访问令牌无效或已过期：请重新登录。",
    ),
    "unknown or disabled kiosk key": ("自助機密鑰不明或已停用。", "自助机密钥不明或已停用。"),
    "a kiosk sends 'Authorization: Bearer <kiosk key>'": (
        "自助機須傳送 'Authorization: Bearer <kiosk key>'。",
        "自助机须发送 'Authorization: Bearer <kiosk key>'。",
    ),
    "only a kiosk, with its own key, may call the kiosk endpoints": (
        "只有持自身密鑰的自助機可呼叫自助機端點。",
        "只有持自身密钥的自助机可调用自助机端点。",
    ),
    "this needs the role {allowed}; you are {role}": (
        "此操作需要以下角色：{allowed}；你的角色是「{role}」。",
        "此操作需要以下角色：{allowed}；你的角色是“{role}”。",
    ),
    "this page needs the role {allowed}; you are {role}": (
        "此頁需要以下角色：{allowed}；你的角色是「{role}」。",
        "此页需要以下角色：{allowed}；你的角色是“{role}”。",
    ),
    "sign in to see this page": ("請登入以查看此頁。", "请登录以查看此页。"),
    "the form's security token is missing or stale: reload the page and try again": (
        "表格的安全權杖遺失或已過時：請重新載入頁面再試。",
        "表单的安全令牌缺失或已过时：请重新加载页面再试。",
    ),
    (
        "your browser did not keep the sign-in cookie: this server sends it over HTTPS only and this page "
        "came over plain HTTP. Open the server at an https:// address (behind a TLS proxy), or, on a trusted "
        "network only, set HETAO_COOKIE_SECURE=false"
    ): (
        "瀏覽器沒有保存登入 Cookie：伺服器只經 HTTPS 傳送它，而此頁經普通 HTTP 傳來。請以 https:// 地址開啟伺服器"
        "（經 TLS 代理），或只在可信網絡上設定 HETAO_COOKIE_SECURE=false。",
        "浏览器没有保存登录 Cookie：服务器只经 HTTPS 发送它，而此页经普通 HTTP 传来。请以 https:// 地址打开服务器"
        "（经 TLS 代理），或只在可信网络上设置 HETAO_COOKIE_SECURE=false。",
    ),
    "/metrics needs 'Authorization: Bearer <HETAO_METRICS_TOKEN>'": (
        "/metrics 需要 'Authorization: Bearer <HETAO_METRICS_TOKEN>'。",
        "/metrics 需要 'Authorization: Bearer <HETAO_METRICS_TOKEN>'。",
    ),
    "/metrics answers callers on this machine only: set HETAO_METRICS_TOKEN to scrape it from elsewhere": (
        "/metrics 只回應本機的呼叫：如要從別處讀取，請設定 HETAO_METRICS_TOKEN。",
        "/metrics 只响应本机的调用：如要从别处读取，请设置 HETAO_METRICS_TOKEN。",
    ),
    "{filename} is over the {limit} MiB upload limit": (
        "{filename} 超過 {limit} MiB 的上載上限。",
        "{filename} 超过 {limit} MiB 的上传上限。",
    ),
    # Alerts, audit, crossings, flow
    "this alert was already acknowledged": ("此警報已獲確認。", "此警报已获确认。"),
    "no alert with id {alert_id}": ("找不到編號為 {alert_id} 的警報。", "找不到编号为 {alert_id} 的警报。"),
    "no action is called {action!r}": ("沒有名為「{action}」的操作。", "没有名为“{action}”的操作。"),
    "an override decides: cleared or rejected": (
        "覆核須作出決定：放行或拒絕。",
        "复核须作出决定：放行或拒绝。",
    ),
    "an override needs a reason": ("覆核需要理由。", "复核需要理由。"),
    "no crossing with id {crossing_id}": (
        "找不到編號為 {crossing_id} 的通關記錄。",
        "找不到编号为 {crossing_id} 的通关记录。",
    ),
    "this crossing was already overridden ({override_decision}) at {overridden_at:%Y-%m-%d %H:%M} UTC": (
        "此通關已於 {overridden_at:%Y-%m-%d %H:%M}（UTC）被覆核（{override_decision}）。",
        "此通关已于 {overridden_at:%Y-%m-%d %H:%M}（UTC）被复核（{override_decision}）。",
    ),
    "the end of the range must come after its start": (
        "結束日期必須在開始日期之後。",
        "结束日期必须在开始日期之后。",
    ),
    "a report covers at most {most} days: ask for a shorter range": (
        "報告最多涵蓋 {most} 天：請選擇較短的範圍。",
        "报告最多涵盖 {most} 天：请选择较短的范围。",
    ),
    # Clearing and kiosks
    "send either a frame, or qr_payload with a face, not both": (
        "請傳送一個畫面，或二維碼內容連同面孔，不可兩者皆有。",
        "请发送一个画面，或二维码内容连同面孔，不可两者皆有。",
    ),
    "send a frame, or qr_payload together with a face image": (
        "請傳送一個畫面，或二維碼內容連同面孔影像。",
        "请发送一个画面，或二维码内容连同面孔图像。",
    ),
    "no commuter with id {commuter_id}": (
        "找不到編號為 {commuter_id} 的通勤人員。",
        "找不到编号为 {commuter_id} 的通勤人员。",
    ),
    "no commuter with id {id}": ("找不到編號為 {id} 的通勤人員。", "找不到编号为 {id} 的通勤人员。"),
    "qr_payload is not a Hetao credential: {exc}": (
        "二維碼內容不是河套通行證：{exc}",
        "二维码内容不是河套通行证：{exc}",
    ),
    "credential_id is not a credential of this commuter": (
        "此通行證不屬於這位通勤人員。",
        "此通行证不属于这位通勤人员。",
    ),
    "dynamic_step {step} is not a step of now ({now_step} ± {steps})": (
        "動態碼時段 {step} 不是目前的時段（{now_step} ± {steps}）。",
        "动态码时段 {step} 不是当前的时段（{now_step} ± {steps}）。",
    ),
    "public_key must be a raw 32-byte Ed25519 key": (
        "公鑰必須是 32 位元組的 Ed25519 原始密鑰。",
        "公钥必须是 32 字节的 Ed25519 原始密钥。",
    ),
    "public_key must be base64": ("公鑰必須以 base64 編碼。", "公钥必须以 base64 编码。"),
    (
        "face-only walk-through is safe for at most {bound} opted-in commuters (strangers taken for someone "
        "at most 1 % of the time, BENCHMARKS.md); {opted_in} have opted in"
    ): (
        "只憑面孔通行最多只可安全用於 {bound} 名已選用的通勤人員（陌生人被誤認的機會不超過 1 %，見 BENCHMARKS.md）；"
        "現有 {opted_in} 人選用。",
        "仅凭面孔通行最多只能安全用于 {bound} 名已选用的通勤人员（陌生人被误认的几率不超过 1 %，见 BENCHMARKS.md）；"
        "现有 {opted_in} 人选用。",
    ),
    "a checkpoint named {name!r} already exists": (
        "已有名為「{name}」的管制站。",
        "已有名为“{name}”的管制站。",
    ),
    "a checkpoint named {new_name!r} already exists": (
        "已有名為「{new_name}」的管制站。",
        "已有名为“{new_name}”的管制站。",
    ),
    "no checkpoint named {reference!r}": (
        "找不到名為「{reference}」的管制站。",
        "找不到名为“{reference}”的管制站。",
    ),
    "no checkpoint with id {checkpoint_id}": (
        "找不到編號為 {checkpoint_id} 的管制站。",
        "找不到编号为 {checkpoint_id} 的管制站。",
    ),
    "checkpoint {name!r} already has a kiosk named {name_!r}": (
        "管制站「{name}」已有名為「{name_}」的自助機。",
        "管制站“{name}”已有名为“{name_}”的自助机。",
    ),
    "checkpoint {name!r} already has a kiosk named {new_name!r}": (
        "管制站「{name}」已有名為「{new_name}」的自助機。",
        "管制站“{name}”已有名为“{new_name}”的自助机。",
    ),
    "no kiosk with id {kiosk_id}": (
        "找不到編號為 {kiosk_id} 的自助機。",
        "找不到编号为 {kiosk_id} 的自助机。",
    ),
    "no kiosk named {reference!r}": (
        "找不到名為「{reference}」的自助機。",
        "找不到名为“{reference}”的自助机。",
    ),
    "{count} kiosks are named {kiosk_name!r}: say which checkpoint's (checkpoint/kiosk) or give the id": (
        "有 {count} 部自助機名為「{kiosk_name}」：請註明管制站（管制站/自助機）或提供編號。",
        "有 {count} 台自助机名为“{kiosk_name}”：请注明管制站（管制站/自助机）或提供编号。",
    ),
    "kiosk {name!r} is already enabled": ("自助機「{name}」已經啟用。", "自助机“{name}”已经启用。"),
    "kiosk {name!r} is already disabled": ("自助機「{name}」已經停用。", "自助机“{name}”已经停用。"),
    # Photos
    "the face is {height} px tall, at least {least} px is needed: take the photo closer or at a higher resolution": (
        "面孔高 {height} 像素，最少需要 {least} 像素：請走近一點或以較高解像度拍攝。",
        "面孔高 {height} 像素，至少需要 {least} 像素：请靠近一点或以更高分辨率拍摄。",
    ),
    "the face is too dark (mean level {level:.0f}, {low:.0f}-{high:.0f} is needed): light the face evenly": (
        "面孔太暗（平均亮度 {level:.0f}，需要 {low:.0f}-{high:.0f}）：請均勻照亮面孔。",
        "面孔太暗（平均亮度 {level:.0f}，需要 {low:.0f}-{high:.0f}）：请均匀照亮面孔。",
    ),
    "the face is too bright (mean level {level:.0f}, {low:.0f}-{high:.0f} is needed): light the face evenly": (
        "面孔太亮（平均亮度 {level:.0f}，需要 {low:.0f}-{high:.0f}）：請均勻照亮面孔。",
        "面孔太亮（平均亮度 {level:.0f}，需要 {low:.0f}-{high:.0f}）：请均匀照亮面孔。",
    ),
    (
        "the face is blurred (sharpness {sharpness:.0f}, at least {least:.0f} is needed): hold the camera still "
        "and focus on the face"
    ): (
        "面孔模糊（清晰度 {sharpness:.0f}，最少需要 {least:.0f}）：請拿穩相機並對焦面孔。",
        "面孔模糊（清晰度 {sharpness:.0f}，至少需要 {least:.0f}）：请拿稳相机并对焦面孔。",
    ),
    "{share:.0%} of the face is pure black or white: avoid glare and hard shadows": (
        "面孔有 {share:.0%} 是全黑或全白：請避免反光和強烈陰影。",
        "面孔有 {share:.0%} 是全黑或全白：请避免反光和强烈阴影。",
    ),
    "image refused as a decompression bomb: {exc}": ("影像被拒：屬解壓炸彈。", "图像被拒：属解压炸弹。"),
    "file is not an image in an accepted format ({formats})": (
        "檔案不是接受格式（{formats}）的影像。",
        "文件不是接受格式（{formats}）的图像。",
    ),
    "image could not be decoded: {exc}": ("影像無法解讀。", "图像无法解码。"),
    "image is {width}x{height} pixels; at most {most:,} are accepted": (
        "影像為 {width}×{height} 像素；最多接受 {most:,} 像素。",
        "图像为 {width}×{height} 像素；最多接受 {most:,} 像素。",
    ),
    "no face was found in the photo: the face must be fully visible, facing the camera": (
        "照片中找不到面孔：面孔必須完整可見並面向鏡頭。",
        "照片中找不到面孔：面孔必须完整可见并面向镜头。",
    ),
    "send at least one photo of the commuter": (
        "請最少上載一張通勤人員的照片。",
        "请至少上传一张通勤人员的照片。",
    ),
    "{count} faces were found: the photo must show the commuter alone": (
        "找到 {count} 張面孔：照片只可有通勤人員一人。",
        "找到 {count} 张面孔：照片只能有通勤人员一人。",
    ),
    "the photo cannot be used: {advice}": ("照片不能使用：{advice}", "照片不能使用：{advice}"),
    (
        "the photo looks like a picture of a photo or of a screen, not of the person: take the photo of the "
        "commuter themselves (liveness {live:.2f}, at least {needed:.2f} needed)"
    ): (
        "照片看來是翻拍相片或屏幕，而不是本人：請直接拍攝通勤人員本人（活體分數 {live:.2f}，最少需要 {needed:.2f}）。",
        "照片看起来是翻拍照片或屏幕，而不是本人：请直接拍摄通勤人员本人（活体分数 {live:.2f}，至少需要 {needed:.2f}）。",
    ),
    "send at most {most} photos": ("最多上載 {most} 張照片。", "最多上传 {most} 张照片。"),
    "photo {position} of {count}: {problem}": (
        "第 {position} 張照片（共 {count} 張）：{problem}",
        "第 {position} 张照片（共 {count} 张）：{problem}",
    ),
    "no face was found in reference photo {position}: add a new photo of the commuter": (
        "參考照片 {position} 中找不到面孔：請加入一張通勤人員的新照片。",
        "参考照片 {position} 中找不到面孔：请添加一张通勤人员的新照片。",
    ),
    "a template holds at most {most} photos": (
        "面孔模板最多包含 {most} 張照片。",
        "面孔模板最多包含 {most} 张照片。",
    ),
    # Registrations and commuters
    "document_number must be 4 to 32 letters, digits, brackets or hyphens": (
        "證件號碼須為 4 至 32 個字母、數字、括號或連字號。",
        "证件号码须为 4 至 32 个字母、数字、括号或连字符。",
    ),
    "a Hong Kong identity card number is one or two letters, six digits and a check digit, like A123456(3)": (
        "香港身份證號碼由一或兩個字母、六位數字和一個核對數字組成，例如 A123456(3)。",
        "香港身份证号码由一或两个字母、六位数字和一个校验码组成，例如 A123456(3)。",
    ),
    "the check digit of this Hong Kong identity card number does not match: check the number": (
        "此香港身份證號碼的核對數字不符：請檢查號碼。",
        "此香港身份证号码的校验码不符：请检查号码。",
    ),
    "a Mainland resident identity card number is 17 digits and a check digit or X": (
        "內地居民身份證號碼由 17 位數字和一個核對數字或 X 組成。",
        "内地居民身份证号码由 17 位数字和一个校验码或 X 组成。",
    ),
    "the check digit of this Mainland resident identity card number does not match: check the number": (
        "此內地居民身份證號碼的核對數字不符：請檢查號碼。",
        "此内地居民身份证号码的校验码不符：请检查号码。",
    ),
    "give the name in Latin letters (full_name), in Chinese characters (chinese_name), or both": (
        "請填寫英文姓名、中文姓名，或兩者。",
        "请填写英文姓名、中文姓名，或两者。",
    ),
    "full_name must be at most 200 characters": ("英文姓名最多 200 個字元。", "英文姓名最多 200 个字符。"),
    "chinese_name must be up to 100 Chinese characters": (
        "中文姓名最多 100 個漢字。",
        "中文姓名最多 100 个汉字。",
    ),
    "valid_until must be a date in the future": ("有效期須為將來的日期。", "有效期须为将来的日期。"),
    "an enroller registers commuters of their own organisation only": (
        "登記人員只可登記自己機構的通勤人員。",
        "登记人员只能登记自己机构的通勤人员。",
    ),
    "a registration must be approved by someone other than who entered it or added a photo": (
        "登記須由輸入資料或加入照片以外的另一人批准。",
        "登记须由输入资料或添加照片以外的另一人批准。",
    ),
    "a suspension needs a reason": ("暫停需要理由。", "暂停需要理由。"),
    "this commuter was revoked: register them again": (
        "此通勤人員已被撤銷：請重新登記。",
        "此通勤人员已被撤销：请重新登记。",
    ),
    "this commuter's biometrics were erased": (
        "此通勤人員的生物特徵資料已被刪除。",
        "此通勤人员的生物特征资料已被删除。",
    ),
    "this organisation already registered {document_type} {number}": (
        "此機構已登記{document_type} {number}。",
        "此机构已登记{document_type} {number}。",
    ),
    "cannot approve a commuter who is {status}": (
        "不能批准狀態為「{status}」的通勤人員。",
        "不能批准状态为“{status}”的通勤人员。",
    ),
    "cannot suspend a commuter who is {status}": (
        "不能暫停狀態為「{status}」的通勤人員。",
        "不能暂停状态为“{status}”的通勤人员。",
    ),
    "cannot reinstate a commuter who is {status}": (
        "不能恢復狀態為「{status}」的通勤人員。",
        "不能恢复状态为“{status}”的通勤人员。",
    ),
    "cannot revoke a commuter who is {status}": (
        "不能撤銷狀態為「{status}」的通勤人員。",
        "不能撤销状态为“{status}”的通勤人员。",
    ),
    "this registration is {status}, not waiting for approval": (
        "此登記的狀態為「{status}」，不是等待批准。",
        "此登记的状态为“{status}”，不是等待批准。",
    ),
    "purpose must be one of {purposes}": (
        "用途必須是以下其中之一：{purposes}",
        "用途必须是以下其中之一：{purposes}",
    ),
    # Bulk import
    "the CSV holds no rows": ("CSV 沒有任何資料列。", "CSV 没有任何数据行。"),
    "the zip inflates to more than twice the import limit": (
        "zip 解壓後超過匯入上限的兩倍。",
        "zip 解压后超过导入上限的两倍。",
    ),
    "the CSV lacks the column(s) {columns}": ("CSV 缺少欄位：{columns}", "CSV 缺少列：{columns}"),
    "the CSV has column(s) this import does not know: {columns}": (
        "CSV 有此匯入不認識的欄位：{columns}",
        "CSV 有此导入不认识的列：{columns}",
    ),
    "no import with id {job_id}": ("找不到編號為 {job_id} 的匯入。", "找不到编号为 {job_id} 的导入。"),
    "{filename} in the zip cannot be read: {exc}": (
        "zip 中的 {filename} 無法讀取。",
        "zip 中的 {filename} 无法读取。",
    ),
    "the photos file is not a zip archive ({exc})": (
        "照片檔案不是 zip 壓縮檔。",
        "照片文件不是 zip 压缩包。",
    ),
    "send the CSV as its own file, or put exactly one .csv file in the zip": (
        "請另外上載 CSV，或在 zip 中只放一個 .csv 檔案。",
        "请另外上传 CSV，或在 zip 中只放一个 .csv 文件。",
    ),
    "an import holds at most {most} rows": ("每次匯入最多 {most} 列。", "每次导入最多 {most} 行。"),
    "{filename} inflates to {file_size} bytes, over the photo limit": (
        "{filename} 解壓後為 {file_size} 位元組，超過照片上限。",
        "{filename} 解压后为 {file_size} 字节，超过照片上限。",
    ),
    (
        "the CSV is not UTF-8 text; if Excel saved it in Chinese, send it again with its encoding: gb18030 "
        "(Simplified Chinese) or big5hkscs (Traditional Chinese)"
    ): (
        "CSV 不是 UTF-8 文字；如 Excel 以中文儲存，請選擇其編碼再上載：gb18030（簡體中文）或 big5hkscs（繁體中文）。",
        "CSV 不是 UTF-8 文本；如 Excel 以中文保存，请选择其编码再上传：gb18030（简体中文）或 big5hkscs（繁体中文）。",
    ),
    "the CSV is not {encoding} text (byte {start} cannot be read)": (
        "CSV 不是 {encoding} 文字（第 {start} 位元組無法讀取）。",
        "CSV 不是 {encoding} 文本（第 {start} 字节无法读取）。",
    ),
    "the CSV cannot be read: {exc}": ("CSV 無法讀取。", "CSV 无法读取。"),
    "{count} imports are queued or running: send this one again when one has finished": (
        "有 {count} 個匯入正在排隊或進行中：請待其中一個完成後再上載。",
        "有 {count} 个导入正在排队或进行中：请待其中一个完成后再上传。",
    ),
    "the zip is over the {limit} MiB import limit": (
        "zip 超過 {limit} MiB 的匯入上限。",
        "zip 超过 {limit} MiB 的导入上限。",
    ),
    # Credentials and phone passes
    "the proof is not base64": ("證明不是 base64 編碼。", "证明不是 base64 编码。"),
    "the {name} is not base64": ("{name} 不是 base64 編碼。", "{name} 不是 base64 编码。"),
    "the {name} must be {size} bytes": ("{name} 必須是 {size} 位元組。", "{name} 必须是 {size} 字节。"),
    (
        "a phone pass is the commuter's: activate and use it on their own phone, not in a browser staff "
        "signed in from"
    ): (
        "手機通行證屬於通勤人員本人：請在其本人的手機啟用和使用，不要在職員已登入的瀏覽器中使用。",
        "手机通行证属于通勤人员本人：请在其本人的手机启用和使用，不要在职员已登录的浏览器中使用。",
    ),
    "this pass was revoked: ask enrolment staff for your data": (
        "此通行證已被撤銷：請向登記職員索取你的資料。",
        "此通行证已被撤销：请向登记职员索取你的资料。",
    ),
    "a dynamic credential is shown by the commuter's phone: print a static one": (
        "動態通行證由通勤人員的手機顯示：請列印靜態通行證。",
        "动态通行证由通勤人员的手机显示：请打印静态通行证。",
    ),
    "this credential is revoked: issue a new one to print": (
        "此通行證已被撤銷：請簽發新的再列印。",
        "此通行证已被撤销：请签发新的再打印。",
    ),
    "only a dynamic credential is activated on a phone": (
        "只有動態通行證才在手機上啟用。",
        "只有动态通行证才在手机上启用。",
    ),
    "this commuter's registration has ended": ("此通勤人員的登記已經結束。", "此通勤人员的登记已经结束。"),
    (
        "a dynamic credential's code is shown by its holder's phone only, never made here: issue a static card "
        "to print"
    ): (
        "動態通行證的碼只由持有人的手機顯示，不會在此產生：請簽發靜態證卡列印。",
        "动态通行证的码只由持有人的手机显示，不会在此生成：请签发静态证卡打印。",
    ),
    "this credential is already revoked": ("此通行證已被撤銷。", "此通行证已被撤销。"),
    "say why the credential is replaced (lost card, lost phone...)": (
        "請說明更換通行證的原因（遺失證卡、遺失手機等）。",
        "请说明更换通行证的原因（遗失证卡、遗失手机等）。",
    ),
    "credentials are issued to active commuters; this one is {status}": (
        "通行證只簽發給有效的通勤人員；此人的狀態為「{status}」。",
        "通行证只签发给有效的通勤人员；此人的状态为“{status}”。",
    ),
    "no credential with id {credential_id}": (
        "找不到編號為 {credential_id} 的通行證。",
        "找不到编号为 {credential_id} 的通行证。",
    ),
    "give a reason": ("請提供理由。", "请提供理由。"),
    "no phone pass with this link": ("沒有與此連結對應的手機通行證。", "没有与此链接对应的手机通行证。"),
    "the proof key must differ from the code key": (
        "證明密鑰必須與碼密鑰不同。",
        "证明密钥必须与码密钥不同。",
    ),
    "this link was already used on a phone: ask staff for a new pass": (
        "此連結已在一部手機上使用：請向職員索取新的通行證。",
        "此链接已在一部手机上使用：请向职员索取新的通行证。",
    ),
    "no phone pass with this proof": ("沒有與此證明對應的手機通行證。", "没有与此证明对应的手机通行证。"),
    "the phone's clock is wrong: set it to the network time": (
        "手機的時鐘不準：請設定為網絡時間。",
        "手机的时钟不准：请设置为网络时间。",
    ),
    "this pass was revoked: ask enrolment staff for a new one": (
        "此通行證已被撤銷：請向登記職員索取新的通行證。",
        "此通行证已被撤销：请向登记职员索取新的通行证。",
    ),
    "this pass has expired: ask enrolment staff for a new one": (
        "此通行證已過期：請向登記職員索取新的通行證。",
        "此通行证已过期：请向登记职员索取新的通行证。",
    ),
    "this link has expired: ask enrolment staff for a new pass": (
        "此連結已過期：請向登記職員索取新的通行證。",
        "此链接已过期：请向登记职员索取新的通行证。",
    ),
    # A request's values refused by validation (clearance.http.errors.VALIDATION_PROBLEMS)
    "{field}: a value is needed": ("{field}：需要填寫。", "{field}：需要填写。"),
    "{field}: not a valid identifier": ("{field}：不是有效的編號。", "{field}：不是有效的编号。"),
    "{field}: too long": ("{field}：太長。", "{field}：太长。"),
    "{field}: too short": ("{field}：太短。", "{field}：太短。"),
    "{field}: not a whole number": ("{field}：不是整數。", "{field}：不是整数。"),
    "{field}: not a number": ("{field}：不是數字。", "{field}：不是数字。"),
    "{field}: not a date": ("{field}：不是日期。", "{field}：不是日期。"),
    "{field}: not a date and time": ("{field}：不是日期和時間。", "{field}：不是日期和时间。"),
    "{field}: not one of the choices": ("{field}：不是可選的項目。", "{field}：不是可选的项目。"),
    "{field}: out of range": ("{field}：超出範圍。", "{field}：超出范围。"),
    "{field}: not valid": ("{field}：無效。", "{field}：无效。"),
    "invalid request": ("無效的請求。", "无效的请求。"),
    # Texts kept with what they describe (alerts, audit details, import reports): stored as a
    # message (clearance.db.base.MessageText) and said in the reader's language.
    "park {park}": ("園區：{park}", "园区：{park}"),
    "{username} as {role}": ("{username}，角色：{role}", "{username}，角色：{role}"),
    "{n} browser session(s) ended": ("已結束 {n} 個瀏覽器工作階段", "已结束 {n} 个浏览器会话"),
    "the disabled kiosk {kiosk} called the server at {time}: its key is still in use": (
        "已停用的自助機 {kiosk} 於 {time} 聯絡伺服器：其金鑰仍在使用中",
        "已停用的自助机 {kiosk} 于 {time} 联系服务器：其密钥仍在使用中",
    ),
    "kiosk {kiosk} last called the server at {time}": (
        "自助機 {kiosk} 最後於 {time} 聯絡伺服器",
        "自助机 {kiosk} 最后于 {time} 联系服务器",
    ),
    "{n} face mismatches on one credential within {minutes} minutes": (
        "同一證件於 {minutes} 分鐘內 {n} 次人臉不符",
        "同一证件于 {minutes} 分钟内 {n} 次人脸不符",
    ),
    "record {seq} repeats a position already taken (a fork: records rewritten?)": (
        "記錄 {seq} 重複了已佔用的位置（分叉：記錄曾被改寫？）",
        "记录 {seq} 重复了已占用的位置（分叉：记录曾被改写？）",
    ),
    "records {first} to {last} are missing (deleted from the kiosk?)": (
        "缺少記錄 {first} 至 {last}（曾從自助機刪除？）",
        "缺少记录 {first} 至 {last}（曾从自助机删除？）",
    ),
    "record {seq} is missing (deleted from the kiosk?)": (
        "缺少記錄 {seq}（曾從自助機刪除？）",
        "缺少记录 {seq}（曾从自助机删除？）",
    ),
    "record {seq} does not follow record {head} (edited or reordered?)": (
        "記錄 {seq} 未能接續記錄 {head}（曾被修改或重新排序？）",
        "记录 {seq} 未能接续记录 {head}（曾被修改或重新排序？）",
    ),
    "{created} created, {duplicate} duplicate, {invalid} invalid": (
        "新增 {created} 項，重複 {duplicate} 項，無效 {invalid} 項",
        "新增 {created} 项，重复 {duplicate} 项，无效 {invalid} 项",
    ),
    "in the future (the kiosk did not say its time)": (
        "在未來（自助機沒有提供其時間）",
        "在未来（自助机没有提供其时间）",
    ),
    "{seconds} s ahead of the server's": ("比伺服器快 {seconds} 秒", "比服务器快 {seconds} 秒"),
    "{seconds} s behind the server's": ("比伺服器慢 {seconds} 秒", "比服务器慢 {seconds} 秒"),
    (
        "kiosk {kiosk}: its clock is {how}; {count} crossings recorded at the server's time "
        "(the kiosk's own kept beside them)"
    ): (
        "自助機 {kiosk}：其時鐘{how}；{count} 次通關按伺服器時間記錄（自助機的時間另行保存）",
        "自助机 {kiosk}：其时钟{how}；{count} 次通关按服务器时间记录（自助机的时间另行保存）",
    ),
    "a batch of {n} crossings came with a missing or wrong signature; refused": (
        "一批 {n} 次通關記錄沒有簽署或簽署錯誤：已拒絕",
        "一批 {n} 次通关记录没有签署或签署错误：已拒绝",
    ),
    "{delivered}; kiosk clock {offset} s": (
        "{delivered}；自助機時鐘 {offset} 秒",
        "{delivered}；自助机时钟 {offset} 秒",
    ),
    "Ed25519 key {key}…": ("Ed25519 金鑰 {key}…", "Ed25519 密钥 {key}…"),
    "kiosk {kiosk} presented a signing key other than the one it registered": (
        "自助機 {kiosk} 出示的簽署金鑰與其登記的不同",
        "自助机 {kiosk} 出示的签署密钥与其登记的不同",
    ),
    "kiosk {kiosk}: {problem}": ("自助機 {kiosk}：{problem}", "自助机 {kiosk}：{problem}"),
    "cleared {direction} into {park} next to another clearance into the same park ({how})": (
        "已通關（{direction}）進入{park}，與另一次進入同一園區的通關相鄰（{how}）",
        "已通关（{direction}）进入{park}，与另一次进入同一园区的通关相邻（{how}）",
    ),
    "decided online": ("於網上決定", "在线决定"),
    "decided offline": ("於離線時決定", "离线时决定"),
    "cleared by an officer": ("由關員放行", "由关员放行"),
    "{before} -> {after}: {reason}": ("{before} → {after}：{reason}", "{before} → {after}：{reason}"),
    "{bridge} footbridge": ("{bridge}", "{bridge}"),
    "{bridge} footbridge, face-only walk-through": (
        "{bridge}，刷臉通行",
        "{bridge}，刷脸通行",
    ),
    "{name} at checkpoint {checkpoint}, {direction}": (
        "{name}，位於管制站 {checkpoint}，{direction}",
        "{name}，位于管制站 {checkpoint}，{direction}",
    ),
    "new API key": ("新的 API 金鑰", "新的 API 密钥"),
    "new API key, bound to Ed25519 key {key}…": (
        "新的 API 金鑰，綁定 Ed25519 金鑰 {key}…",
        "新的 API 密钥，绑定 Ed25519 密钥 {key}…",
    ),
    "{rows} rows of {tables} tables, {keys} key files": (
        "{tables} 個資料表共 {rows} 行，{keys} 個金鑰檔案",
        "{tables} 个数据表共 {rows} 行，{keys} 个密钥文件",
    ),
    "{rows} rows, {keys} key files": ("{rows} 行，{keys} 個金鑰檔案", "{rows} 行，{keys} 个密钥文件"),
    "{old} -> {new}; re-sealed {counts}": (
        "{old} → {new}；已重新加密 {counts}",
        "{old} → {new}；已重新加密 {counts}",
    ),
    "{action}: {crossings} crossings and {alerts} alerts from before {cutoff} UTC": (
        "{action}：{cutoff} UTC 之前的 {crossings} 次通關及 {alerts} 項警報",
        "{action}：{cutoff} UTC 之前的 {crossings} 次通关及 {alerts} 项警报",
    ),
    "anonymise": ("匿名化", "匿名化"),
    "delete": ("刪除", "删除"),
    "credential {id} as {format}": ("證件 {id}，格式 {format}", "证件 {id}，格式 {format}"),
    "{n} photo(s)": ("{n} 張相片", "{n} 张照片"),
    "{photos}; {source}": ("{photos}；{source}", "{photos}；{source}"),
    "{n} found": ("找到 {n} 項", "找到 {n} 项"),
    "{n} found, status {status}": ("找到 {n} 項，狀態：{status}", "找到 {n} 项，状态：{status}"),
    "{n} found, by name or document": ("按姓名或證件找到 {n} 項", "按姓名或证件找到 {n} 项"),
    "{n} found, status {status}, by name or document": (
        "按姓名或證件找到 {n} 項，狀態：{status}",
        "按姓名或证件找到 {n} 项，状态：{status}",
    ),
    "photo {n}": ("第 {n} 張相片", "第 {n} 张照片"),
    "{n} photo(s) and the document, to approve the registration": (
        "{n} 張相片及證件，用於批准登記",
        "{n} 张照片及证件，用于批准登记",
    ),
    "the server stopped during this import after {processed} of {total} rows: import the rows after line {last} again": (
        "伺服器於匯入 {total} 行中的 {processed} 行後停止：請重新匯入第 {last} 行之後的各行",
        "服务器于导入 {total} 行中的 {processed} 行后停止：请重新导入第 {last} 行之后的各行",
    ),
    "the server stopped during this import after {processed} of {total} rows: import it again": (
        "伺服器於匯入 {total} 行中的 {processed} 行後停止：請重新匯入",
        "服务器于导入 {total} 行中的 {processed} 行后停止：请重新导入",
    ),
    "{first}; {rest}": ("{first}；{rest}", "{first}；{rest}"),
    "{n} rows": ("{n} 行", "{n} 行"),
    "{n} events": ("{n} 項記錄", "{n} 项记录"),
    "the last day comes before the first": ("最後一天早於第一天", "最后一天早于第一天"),
    "{value} is not a valid {field}: use one of {one_of}": (
        "{value} 不是有效的 {field}：請使用以下其中之一：{one_of}",
        "{value} 不是有效的 {field}：请使用以下其中之一：{one_of}",
    ),
    "no organisation named {name}": ("沒有名為 {name} 的機構", "没有名为 {name} 的机构"),
    "{value} is not a date like 2027-06-30": (
        "{value} 不是日期（格式如 2027-06-30）",
        "{value} 不是日期（格式如 2027-06-30）",
    ),
    "stopped before line {line}: the account that started it was disabled; nothing after that line was imported": (
        "於第 {line} 行前停止：開始匯入的帳戶已被停用；該行及之後的各行均未匯入",
        "于第 {line} 行前停止：开始导入的账户已被停用；该行及之后的各行均未导入",
    ),
    "the import stopped: {error}": ("匯入已停止：{error}", "导入已停止：{error}"),
    "this photo could not be processed (the server logged why)": (
        "無法處理此相片（伺服器已記錄原因）",
        "无法处理此照片（服务器已记录原因）",
    ),
    "the zip holds no photo named {name}": (
        "壓縮檔中沒有名為 {name} 的相片",
        "压缩文件中没有名为 {name} 的照片",
    ),
    "a field holds a character or value the database cannot store": (
        "有欄位包含資料庫無法儲存的字元或數值",
        "有字段包含数据库无法存储的字符或数值",
    ),
    "import {job} line {line}": ("匯入 {job} 第 {line} 行", "导入 {job} 第 {line} 行"),
    "{kind} credential {id}": ("{kind}證件 {id}", "{kind}证件 {id}"),
    "{kind} credential {id} for a phone pass": (
        "{kind}證件 {id}，用於手機通行證",
        "{kind}证件 {id}，用于手机通行证",
    ),
    "credential {id}": ("證件 {id}", "证件 {id}"),
    "credential {id}: {why}": ("證件 {id}：{why}", "证件 {id}：{why}"),
    "downloaded with credential {id}": ("以證件 {id} 下載", "以证件 {id} 下载"),
}
