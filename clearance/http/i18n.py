"""The web pages' languages: English, Traditional Chinese (as written in Hong Kong) and Simplified
Chinese (as written in Shenzhen).

Text in templates and page code is English and doubles as the key: ``_("Sign in")``. Machine
values shown to people (decisions, reasons, statuses, parks...) are keyed by their value:
``_("face_mismatch")``. A test checks that every key used has both translations.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from clearance.core.messages import Message, Word, Words
from clearance.core.messages import message as as_message
from clearance.http.refusals import REFUSALS

Translate = Callable[..., str]

DEFAULT_LANGUAGE = "en"
LANGUAGES = {"en": "English", "zh-Hant": "繁體中文", "zh-Hans": "简体中文"}
HTML_LANG = {"en": "en", "zh-Hant": "zh-Hant-HK", "zh-Hans": "zh-Hans-CN"}

# English (or a machine value) -> (Traditional, Simplified).
MESSAGES: dict[str, tuple[str, str]] = {
    # Frame and navigation
    "Hetao Clearance": ("河套通關", "河套通关"),
    "Live": ("即時", "实时"),
    "Queue": ("待處理", "待处理"),
    "Accepted as an ID-style photo.": ("已接受為證件式相片。", "已接受为证件式照片。"),
    (
        "The face fills most of the photo, so the liveness check cannot judge it: the approving officer "
        "will be asked to compare it with the person and the document. A photo showing the head and "
        "shoulders avoids that."
    ): (
        "面孔佔相片大部分，活體檢測無法判斷：批准的關員會被要求把相片與本人及證件比對。拍攝頭部及肩膀可避免此情況。",
        "面孔占照片大部分，活体检测无法判断：批准的关员会被要求把照片与本人及证件比对。拍摄头部及肩膀可避免此情况。",
    ),
    (
        "Photo {numbers}: an ID-style crop the liveness check could not judge. Compare it with the person "
        "and the document before approving."
    ): (
        "相片 {numbers}：證件式近照，活體檢測無法判斷。批准前請與本人及證件比對。",
        "照片 {numbers}：证件式近照，活体检测无法判断。批准前请与本人及证件比对。",
    ),
    "Photos": ("相片", "照片"),
    (
        "One face, facing the camera, at least {px} px tall, sharp and evenly lit. Head and shoulders with "
        "some background around them (the face at most {most} % of the photo's height) lets the liveness "
        "check judge the photo; a tighter ID-style crop is accepted and marked for the approving officer "
        "to compare."
    ): (
        "一張面孔，正面向鏡頭，高度最少 {px} 像素，清晰及光線平均。"
        "頭部及肩膀連少許背景（面孔最多佔相片高度的 {most}%）可讓活體檢測作出判斷；"
        "較緊的證件式近照會被接受，並標示給批准的關員比對。",
        "一张面孔，正面向镜头，高度最少 {px} 像素，清晰及光线均匀。"
        "头部及肩膀连少许背景（面孔最多占照片高度的 {most}%）可让活体检测作出判断；"
        "较紧的证件式近照会被接受，并标示给批准的关员比对。",
    ),
    "Lanes": ("通道", "通道"),
    "No kiosk yet.": ("尚未有自助機。", "尚未有自助机。"),
    "whitelist {minutes} min old": ("白名單 {minutes} 分鐘前更新", "白名单 {minutes} 分钟前更新"),
    "whitelist never read": ("從未讀取白名單", "从未读取白名单"),
    "{n} crossings waiting": ("{n} 次通關待上傳", "{n} 次通关待上传"),
    "today {attempts} attempts, {referred} referred": (
        "今日 {attempts} 次嘗試，{referred} 次轉介",
        "今日 {attempts} 次尝试，{referred} 次转介",
    ),
    "{n} waiting: referrals to decide, alerts and registrations to approve": (
        "{n} 項待處理：待決定的轉介、警報及待批准的登記",
        "{n} 项待处理：待决定的转介、警报及待批准的登记",
    ),
    "Commuters": ("通勤人員", "通勤人员"),
    "Register": ("登記", "登记"),
    "Bulk import": ("批量匯入", "批量导入"),
    "Audit trail": ("審計記錄", "审计记录"),
    "Flow": ("人流", "人流"),
    "Flow of commuters": ("通勤人流", "通勤人流"),
    "From": ("由", "从"),
    "To": ("至", "至"),
    "Show": ("顯示", "显示"),
    "Download CSV": ("下載 CSV", "下载 CSV"),
    "Crossings by hour of the day": ("每日各小時的通關次數", "每日各小时的通关次数"),
    "Busiest 15 minutes": ("最繁忙的 15 分鐘", "最繁忙的 15 分钟"),
    "{count} crossings": ("{count} 次通關", "{count} 次通关"),
    "Hour by hour": ("逐小時", "逐小时"),
    (
        "Time to clear: from the first frame that showed the person at the lane to the kiosk's decision, "
        "as the kiosk measured it."
    ): (
        "通關時間：由通道鏡頭首次拍到該人至自助機作出決定，由自助機量度。",
        "通关时间：由通道镜头首次拍到该人至自助机作出决定，由自助机测量。",
    ),
    "Hour": ("小時", "小时"),
    "Crossings": ("通關次數", "通关次数"),
    "Referred": ("轉介", "转介"),
    "Time to clear, median": ("通關時間中位數", "通关时间中位数"),
    "Time to clear, 95th percentile": ("通關時間第 95 百分位", "通关时间第 95 百分位"),
    "Time to leave, median": ("離開時間中位數", "离开时间中位数"),
    "Time to leave, 95th percentile": ("離開時間第 95 百分位", "离开时间第 95 百分位"),
    "Time to leave: from the decision to the last frame that showed them, counted in the hour of the "
    "kiosk's next crossing, which reports it.": (
        "離開時間：由自助機作出決定至最後一次拍到該人，計入自助機下一次通關記錄所在的小時（由該記錄報告）。",
        "离开时间：由自助机作出决定至最后一次拍到该人，计入自助机下一次通关记录所在的小时（由该记录报告）。",
    ),
    "No crossings in these days.": ("這些日子沒有通關記錄。", "这些日子没有通关记录。"),
    "Sign in": ("登入", "登录"),
    "Sign out": ("登出", "退出登录"),
    "Username": ("用戶名稱", "用户名"),
    "Password": ("密碼", "密码"),
    "Wrong username or password.": ("用戶名稱或密碼錯誤。", "用户名或密码错误。"),
    "Too many failed sign-ins: wait {minutes} minutes.": (
        "登入失敗次數過多：請等候 {minutes} 分鐘。",
        "登录失败次数过多：请等待 {minutes} 分钟。",
    ),
    "Back to the start page": ("返回首頁", "返回首页"),
    "Search": ("搜尋", "搜索"),
    # Administration
    "Administration": ("系統管理", "系统管理"),
    "API": ("API", "API"),
    "Checkpoints and kiosks": ("管制站及自助機", "管制站及自助机"),
    "Kiosk": ("自助機", "自助机"),
    "Last call": ("最後聯絡", "最后联系"),
    "never": ("從未", "从未"),
    "disabled": ("已停用", "已停用"),
    "Organisations": ("機構", "机构"),
    "Staff": ("職員", "职员"),
    "{n} commuters have opted in; face-only walk-through is safe for at most {bound}.": (
        "已有 {n} 名通勤人員選用刷臉通行；刷臉通行最多只適用於 {bound} 人。",
        "已有 {n} 名通勤人员选用刷脸通行；刷脸通行最多只适用于 {bound} 人。",
    ),
    "Kiosks now ask everyone for their QR: more would raise false identification above 1 %.": (
        "自助機現要求所有人出示二維碼：超過此人數，陌生人被誤認的機會會高於 1%。",
        "自助机现要求所有人出示二维码：超过此人数，陌生人被误认的机会会高于 1%。",
    ),
    "suspended: too many opted in": ("已暫停：選用人數過多", "已暂停：选用人数过多"),
    "Staff accounts": ("職員帳戶", "职员账户"),
    "{n} attempts since {time}": ("自 {time} 起共 {n} 次嘗試", "自 {time} 起共 {n} 次尝试"),
    "Its {n} repeats were closed with it.": (
        "其 {n} 次重複嘗試亦一併處理。",
        "其 {n} 次重复尝试亦一并处理。",
    ),
    "Registrations to approve": ("待批准的登記", "待批准的登记"),
    "No registration is waiting for approval.": ("沒有待批准的登記。", "没有待批准的登记。"),
    "(you entered it: another officer approves it)": (
        "（由你輸入：須由另一位關員批准）",
        "（由你录入：须由另一位关员批准）",
    ),
    "Approve the selected registrations": ("批准所選登記", "批准所选登记"),
    "Approved: {n}.": ("已批准：{n} 項。", "已批准：{n} 项。"),
    "Not approved: {why}": ("未能批准：{why}", "未能批准：{why}"),
    "Registered. Next, an officer other than you approves it; then issue a credential here.": (
        "已登記。下一步：由你以外的關員批准登記，然後在此頁簽發證件。",
        "已登记。下一步：由你以外的关员批准登记，然后在此页签发证件。",
    ),
    "Download a template CSV": ("下載範本 CSV", "下载模板 CSV"),
    "Column": ("欄位", "字段"),
    "What to write": ("填寫內容", "填写内容"),
    "One of:": ("以下其中之一：", "以下其中之一："),
    "optional": ("可選", "可选"),
    "The name in Latin letters as on the document (up to 200); empty if chinese_name is given.": (
        "證件上的英文姓名，最多 200 個字元；如有 chinese_name 可留空。",
        "证件上的英文姓名，最多 200 个字符；如有 chinese_name 可留空。",
    ),
    "The name in Chinese characters, up to 100.": ("中文姓名，最多 100 個字。", "中文姓名，最多 100 个字。"),
    "Name in Chinese characters": ("中文姓名", "中文姓名"),
    "Name in Latin letters, as on the document": ("英文姓名（與證件相同）", "英文姓名（与证件相同）"),
    "Give one name or both.": ("填寫其中一個姓名或兩者。", "填写其中一个姓名或两者。"),
    "An identity card number with its check digit, like A123456(3); others: 4 to 32 letters or digits.": (
        "香港或內地身份證號碼須連校驗碼，例如 A123456(3)；其他證件：4 至 32 個字母、數字、括號或連字號。",
        "香港或内地身份证号码须连校验码，例如 A123456(3)；其他证件：4 至 32 个字母、数字、括号或连字符。",
    ),
    "The last day of the registration, a future date written 2027-06-30.": (
        "登記的最後一天，須為將來日期，格式如 2027-06-30。",
        "登记的最后一天，须为将来日期，格式如 2027-06-30。",
    ),
    "The photo's file name inside the zip (JPEG or PNG), e.g. chan-tai-man.jpg or photos/chan.jpg.": (
        "相片在 zip 內的檔案名稱（JPEG 或 PNG），例如 chan-tai-man.jpg 或 photos/chan.jpg。",
        "照片在 zip 内的文件名（JPEG 或 PNG），例如 chan-tai-man.jpg 或 photos/chan.jpg。",
    ),
    "The organisation's name, as on the administration page.": (
        "機構名稱，與管理頁所列相同。",
        "机构名称，与管理页所列相同。",
    ),
    "yes to opt in to face-only walk-through; empty or no otherwise.": (
        "填 yes 即選用刷臉通行；否則留空或填 no。",
        "填 yes 即选用刷脸通行；否则留空或填 no。",
    ),
    "Past imports": ("過往匯入", "过往导入"),
    "Started": ("開始時間", "开始时间"),
    "File": ("檔案", "文件"),
    "Failed rows (CSV)": ("未能登記的行（CSV）", "未能登记的行（CSV）"),
    "Failed rows (CSV), to fix and import again": (
        "未能登記的行（CSV），修正後可再匯入",
        "未能登记的行（CSV），修正后可再导入",
    ),
    "No imports yet.": ("尚未有匯入。", "尚未有导入。"),
    "Reason (lost card, lost phone...)": ("原因（遺失證卡、遺失手機……）", "原因（遗失证卡、遗失手机……）"),
    "Replace": ("補發", "补发"),
    "Checkpoints": ("管制站", "管制站"),
    "Footbridge": ("行人天橋", "人行天桥"),
    "east": ("東面行人天橋", "东侧人行天桥"),
    "west": ("西面行人天橋", "西侧人行天桥"),
    "Rename": ("改名", "改名"),
    "Edit": ("修改", "修改"),
    "Save": ("儲存", "保存"),
    "Create": ("建立", "创建"),
    "Add a kiosk": ("新增自助機", "新增自助机"),
    "Kiosk name": ("自助機名稱", "自助机名称"),
    "Checkpoint name": ("管制站名稱", "管制站名称"),
    "Organisation name": ("機構名稱", "机构名称"),
    "New staff account": ("新增職員帳戶", "新增职员账户"),
    "New checkpoint": ("新增管制站", "新增管制站"),
    "New organisation": ("新增機構", "新增机构"),
    "none (not an enroller)": ("無（非登記人員）", "无（非登记人员）"),
    "A new account gets a generated password, shown once here: hand it over in person.": (
        "新帳戶會獲發一個自動產生的密碼，只在此顯示一次：請親身交給對方。",
        "新账户会获发一个自动生成的密码，只在此显示一次：请当面交给对方。",
    ),
    "The same is in hetao admin and the API (/docs); every change is in the audit trail.": (
        "hetao admin 及 API（/docs）亦可辦理；每項更改都記入審計記錄。",
        "hetao admin 及 API（/docs）亦可办理；每项更改都记入审计记录。",
    ),
    "Organisation {name} created.": ("已建立機構 {name}。", "已创建机构 {name}。"),
    "Checkpoint {name} created.": ("已建立管制站 {name}。", "已创建管制站 {name}。"),
    "Saved: {name}.": ("已儲存：{name}。", "已保存：{name}。"),
    "Photo added. An officer other than you approves the commuter again.": (
        "已加入相片。須由另一名人員（不是你）再次批准此通勤人員。",
        "已添加照片。须由另一名人员（不是你）再次批准此通勤人员。",
    ),
    "Credential issued.": ("已簽發通行憑證。", "已签发通行凭证。"),
    "This pass was set up before an update and can no longer check its status: ask enrolment staff for a new pass.": (  # noqa: E501
        "此通行證在系統更新前設定，已無法查核狀態：請向登記職員申領新通行證。",
        "此通行证在系统更新前设置，已无法核查状态：请向登记职员申领新通行证。",
    ),
    "Credential revoked: kiosks refuse it from their next sync.": (
        "已撤銷通行憑證：自助機下次同步後即拒絕接受。",
        "已撤销通行凭证：自助机下次同步后即拒绝接受。",
    ),
    "Account {name} created; its password, shown only now:": (
        "已建立帳戶 {name}；其密碼只在此顯示一次：",
        "已创建账户 {name}；其密码只在此显示一次：",
    ),
    "Kiosk {name} created; its API key, shown only now: give it to the kiosk as --key.": (
        "已建立自助機 {name}；其 API 密鑰只在此顯示一次：以 --key 交給自助機。",
        "已创建自助机 {name}；其 API 密钥只在此显示一次：以 --key 交给自助机。",
    ),
    "Role": ("角色", "角色"),
    "Actions": ("操作", "操作"),
    "Disable": ("停用", "停用"),
    "Enable": ("啟用", "启用"),
    "New key": ("新密鑰", "新密钥"),
    "New password": ("新密碼", "新密码"),
    "Kiosk {name} is disabled: its key is refused from its next call.": (
        "自助機 {name} 已停用：其密鑰自下次連線起被拒絕。",
        "自助机 {name} 已停用：其密钥自下次连接起被拒绝。",
    ),
    "Kiosk {name} is enabled again.": ("自助機 {name} 已重新啟用。", "自助机 {name} 已重新启用。"),
    "Kiosk {name} has a new API key, shown only now: give it to the kiosk as --key.": (
        "自助機 {name} 已有新的 API 密鑰，只在此顯示一次：以 --key 交給自助機。",
        "自助机 {name} 已有新的 API 密钥，只在此显示一次：以 --key 交给自助机。",
    ),
    "{name} is disabled and signed out everywhere.": (
        "{name} 已停用，並已在所有裝置登出。",
        "{name} 已停用，并已在所有设备退出登录。",
    ),
    "{name} can sign in again.": ("{name} 可再次登入。", "{name} 可再次登录。"),
    "New password for {name}, shown only now; their browser sessions ended.": (
        "{name} 的新密碼，只在此顯示一次；其瀏覽器工作階段已結束。",
        "{name} 的新密码，只在此显示一次；其浏览器会话已结束。",
    ),
    # Roles
    "admin": ("管理員", "管理员"),
    "enroller": ("登記人員", "登记人员"),
    "officer": ("關員", "关员"),
    # Errors
    "Not signed in": ("未登入", "未登录"),
    "Not allowed": ("沒有權限", "没有权限"),
    "Not found": ("找不到", "找不到"),
    "Something went wrong": ("出現問題", "出现问题"),
    # Live view and statistics
    "Live crossings": ("即時通關記錄", "实时通关记录"),
    "connecting…": ("連線中…", "连接中…"),
    "connected": ("已連線", "已连接"),
    "reconnecting…": ("重新連線中…", "重新连接中…"),
    "Time": ("時間", "时间"),
    "Commuter": ("通勤人員", "通勤人员"),
    "Checkpoint": ("管制站", "管制站"),
    "Direction": ("方向", "方向"),
    "Decision": ("決定", "决定"),
    "Reasons": ("原因", "原因"),
    "Distance": ("距離", "距离"),
    "distance": ("距離", "距离"),
    "unknown": ("不明", "不明"),
    "No crossings yet.": ("暫無通關記錄。", "暂无通关记录。"),
    "In each park now": ("目前各園區人數", "目前各园区人数"),
    "Hong Kong Park": ("香港園區", "香港园区"),
    "Shenzhen Park": ("深圳園區", "深圳园区"),
    "Not yet crossed": ("尚未通關", "尚未通关"),
    "Crossings per hour": ("每小時通關次數", "每小时通关次数"),
    "Crossings per hour, last {hours} hours": (
        "每小時通關次數（過去 {hours} 小時）",
        "每小时通关次数（过去 {hours} 小时）",
    ),
    "No crossings in these hours.": ("這段時間沒有通關記錄。", "这段时间没有通关记录。"),
    "Refusals today by reason": ("今日拒絕原因", "今日拒绝原因"),
    "Attempts today: {n}": ("今日嘗試次數：{n}", "今日尝试次数：{n}"),
    "No refusals today.": ("今日沒有拒絕。", "今日没有拒绝。"),
    # Queue
    "Referred attempts": ("轉介人工處理", "转人工处理"),
    "Nothing is waiting for a decision.": ("沒有待決定的個案。", "没有待决定的个案。"),
    "Reason for the override": ("更改決定的原因", "更改决定的原因"),
    "Decision…": ("決定…", "决定…"),
    "Copy": ("複製", "复制"),
    "Approve a registration": ("批准登記", "批准登记"),
    "Open the record (suspend, revoke, add a photo)": (
        "打開記錄（暫停、撤銷、加相片）",
        "打开记录（暂停、撤销、加照片）",
    ),
    "Next registration": ("下一宗登記", "下一宗登记"),
    "Back to the queue": ("返回待辦", "返回待办"),
    "photos compared": ("已核對相片", "已核对照片"),
    (
        "Open a registration to compare its photos before approving it; only those you compared can "
        "be approved together."
    ): (
        "請先打開登記核對相片再批准；只有已核對的登記可以一併批准。",
        "请先打开登记核对照片再批准；只有已核对的登记可以一并批准。",
    ),
    "{name}: open it and compare its photos first": (
        "{name}：請先打開並核對相片",
        "{name}：请先打开并核对照片",
    ),
    "Approved: {name}.": ("已批准：{name}。", "已批准：{name}。"),
    "approval": ("審批登記", "审批登记"),
    "As data for a computer (JSON)": ("供電腦讀取的資料（JSON）", "供电脑读取的数据（JSON）"),
    "Approved": ("批准日期", "批准日期"),
    "Enrolment photo": ("登記相片", "登记照片"),
    (
        "Everything Hetao Clearance holds about you, as of {time} (a data access request under the "
        "Personal Data (Privacy) Ordinance, Cap. 486)."
    ): (
        "河套通關截至 {time} 所持有關於你的全部資料"
        "（根據《個人資料（私隱）條例》（第 486 章）提出的查閱資料要求）。",
        "河套通关截至 {time} 所持有关于你的全部资料"
        "（根据《个人资料（私隐）条例》（第 486 章）提出的查阅资料要求）。",
    ),
    "Last crossed into": ("最近進入", "最近进入"),
    "None held.": ("沒有持有。", "没有持有。"),
    "Registration": ("登記資料", "登记资料"),
    "Revoked": ("撤銷時間", "撤销时间"),
    (
        "The face template is {n} list(s) of {size} numbers made from these photos by the face model "
        "{model}; they are in the machine-readable copy (JSON)."
    ): (
        "面容模板是由面容模型 {model} 從這些相片生成的 {n} 組數字（每組 {size} 個）；"
        "數字載於機器可讀的副本（JSON）。",
        "面容模板是由面容模型 {model} 从这些照片生成的 {n} 组数字（每组 {size} 个）；"
        "数字载于机器可读的副本（JSON）。",
    ),
    "What": ("操作", "操作"),
    "Who did what with your record": ("誰曾處理你的記錄", "谁曾处理你的记录"),
    "Your crossings": ("你的通關記錄", "你的通关记录"),
    "Your passes and cards": ("你的通行證及證卡", "你的通行证及证卡"),
    "Your photos and face template": ("你的相片及面容模板", "你的照片及面容模板"),
    (
        "This pass lives only in this browser on this phone. Clearing the browser's data or a "
        "new phone removes it: the enrolment desk then gives you a new one."
    ): (
        "此通行證只存於這部手機的這個瀏覽器。清除瀏覽器資料或換手機會令它消失，屆時請到登記櫃檯領取新的通行證。",
        "此通行证只存于这部手机的这个浏览器。清除浏览器数据或换手机会使它消失，届时请到登记柜台领取新的通行证。",
    ),
    "Add this page to your home screen to open your pass in one tap.": (
        "把此頁加到主畫面，一按即可打開通行證。",
        "把此页添加到主屏幕，一点即可打开通行证。",
    ),
    "silent for {minutes} min": ("已 {minutes} 分鐘無聯絡", "已 {minutes} 分钟无联络"),
    "online": ("在線", "在线"),
    "never called": ("從未連線", "从未连线"),
    "The CSV's encoding": ("CSV 的編碼", "CSV 的编码"),
    "GB18030 / GBK (Excel in Simplified Chinese)": (
        "GB18030 / GBK（簡體中文 Excel）",
        "GB18030 / GBK（简体中文 Excel）",
    ),
    "Big5-HKSCS (Excel in Traditional Chinese)": (
        "Big5-HKSCS（繁體中文 Excel）",
        "Big5-HKSCS（繁体中文 Excel）",
    ),
    "Copied": ("已複製", "已复制"),
    "On the kiosk, start it with:": ("在終端機上以此啟動：", "在终端机上以此启动："),
    "New key for {kiosk}? Its present key stops at once: the kiosk is cut off until set up again.": (
        "為 {kiosk} 發出新密鑰？現有密鑰即時失效：該終端機在以新密鑰重新設定前無法連線。",
        "为 {kiosk} 发出新密钥？现有密钥立即失效：该终端机在以新密钥重新设置前无法连线。",
    ),
    "New password for {user}? The present one stops and they are signed out everywhere.": (
        "為 {user} 設定新密碼？現有密碼即時失效，並會在所有裝置登出。",
        "为 {user} 设置新密码？现有密码立即失效，并会在所有设备退出登录。",
    ),
    "Override": ("更改決定", "更改决定"),
    "Decision recorded: {decision}.": ("已記錄決定：{decision}。", "已记录决定：{decision}。"),
    "Alerts": ("警報", "警报"),
    "No open alerts.": ("沒有未處理的警報。", "没有未处理的警报。"),
    "Note (optional)": ("備註（選填）", "备注（选填）"),
    "Acknowledge": ("確認", "确认"),
    "Alert acknowledged.": ("警報已確認。", "警报已确认。"),
    # Audit
    "Object id": ("對象編號", "对象编号"),
    "Action": ("操作", "操作"),
    "Who": ("操作人", "操作人"),
    "Object": ("對象", "对象"),
    "Purpose": ("目的", "目的"),
    "Detail": ("詳情", "详情"),
    # Commuters
    "Name or document number": ("姓名或證件號碼", "姓名或证件号码"),
    "Status": ("狀態", "状态"),
    "Any status": ("所有狀態", "所有状态"),
    "Name": ("姓名", "姓名"),
    "Document": ("證件", "证件"),
    "Organisation": ("機構", "机构"),
    "Valid until": ("有效期至", "有效期至"),
    "Registered": ("登記日期", "登记日期"),
    "No commuters match.": ("沒有符合的通勤人員。", "没有符合的通勤人员。"),
    "Home park": ("所屬園區", "所属园区"),
    "Face-only walk-through": ("刷臉通行", "刷脸通行"),
    "yes": ("是", "是"),
    "no": ("否", "否"),
    "Now in": ("目前所在", "目前所在"),
    "Registered by": ("登記人", "登记人"),
    "Reason": ("原因", "原因"),
    "Give a reason.": ("請填寫原因。", "请填写原因。"),
    "Approve": ("批准", "批准"),
    "You entered this registration: another officer must approve it.": (
        "此登記由你輸入，須由另一名關員批准。",
        "此登记由你录入，须由另一名关员批准。",
    ),
    "Suspend": ("暫停", "暂停"),
    "Reinstate": ("恢復", "恢复"),
    "Revoke": ("撤銷", "撤销"),
    "Revoke for good and erase the biometrics?": (
        "永久撤銷並刪除生物特徵資料？",
        "永久撤销并删除生物特征数据？",
    ),
    "Reference photo": ("參考相片", "参考照片"),
    "The biometrics of this commuter were erased.": (
        "此通勤人員的生物特徵資料已刪除。",
        "此通勤人员的生物特征数据已删除。",
    ),
    "This view was recorded in the audit trail.": ("此次查看已記入審計記錄。", "此次查看已记入审计记录。"),
    "Why do you need to see it?": ("查看的原因？", "查看的原因？"),
    "Show the reference photo": ("顯示參考相片", "显示参考照片"),
    "Each view is recorded in the audit trail with its purpose.": (
        "每次查看均連同目的記入審計記錄。",
        "每次查看均连同目的记入审计记录。",
    ),
    "Choose why you need to see the photo.": ("請選擇查看相片的原因。", "请选择查看照片的原因。"),
    "Credentials": ("通行憑證", "通行凭证"),
    "Kind": ("類型", "类型"),
    "Issued": ("簽發時間", "签发时间"),
    "Expires": ("到期", "到期"),
    "valid": ("有效", "有效"),
    "revoked": ("已撤銷", "已撤销"),
    "Card (PNG)": ("證卡（PNG）", "证卡（PNG）"),
    "Card (PDF)": ("證卡（PDF）", "证卡（PDF）"),
    "No credentials yet.": ("尚未簽發憑證。", "尚未签发凭证。"),
    "Issue a credential": ("簽發憑證", "签发凭证"),
    "Crossing history": ("通關記錄", "通关记录"),
    # Registration
    "Register a commuter": ("登記通勤人員", "登记通勤人员"),
    "Full name": ("全名", "全名"),
    "Document type": ("證件類型", "证件类型"),
    "Document number": ("證件號碼", "证件号码"),
    "Opted in to face-only walk-through": ("同意使用刷臉通行", "同意使用刷脸通行"),
    "Photo": ("相片", "照片"),
    "A second photo (recommended)": ("第二張相片（建議）", "第二张照片（建议）"),
    "Taken at another moment: with two photos the kiosk refuses the commuter far less often.": (
        "請於另一時間拍攝：有兩張相片，自助機拒絕本人的機會大減。",
        "请于另一时间拍摄：有两张照片，自助机拒绝本人的机会大减。",
    ),
    "Add a photo": ("加入相片", "添加照片"),
    "Adding a photo returns an approved commuter to pending until another officer approves.": (
        "加入相片後，已批准的通勤人員會回到待批准狀態，須由另一名關員再次批准。",
        "添加照片后，已批准的通勤人员会回到待批准状态，须由另一名关员再次批准。",
    ),
    "Photos in the template": ("模板相片數目", "模板照片数量"),
    "Use the camera": ("使用鏡頭", "使用摄像头"),
    "Take the photo": ("拍照", "拍照"),
    "Checking the photo…": ("正在檢查相片…", "正在检查照片…"),
    "The photo passes every check.": ("相片通過所有檢查。", "照片通过所有检查。"),
    "Face {px} px high, sharpness {sharp}, brightness {bright}.": (
        "臉部高 {px} 像素，清晰度 {sharp}，亮度 {bright}。",
        "脸部高 {px} 像素，清晰度 {sharp}，亮度 {bright}。",
    ),
    "Check the form: a field is not valid.": ("請檢查表格：有欄位無效。", "请检查表单：有字段无效。"),
    "Photograph the face from the front, fully visible, with nothing covering it.": (
        "請從正面拍攝，臉部須完整可見，不可遮擋。",
        "请从正面拍摄，脸部须完整可见，不可遮挡。",
    ),
    "Only the commuter may be in the photo: crop or retake it.": (
        "相片中只可有通勤人員本人：請裁剪或重拍。",
        "照片中只可有通勤人员本人：请裁剪或重拍。",
    ),
    "Move closer or crop: the face must fill more of the photo.": (
        "請靠近或裁剪：臉部須佔相片更大比例。",
        "请靠近或裁剪：脸部须占照片更大比例。",
    ),
    "Hold the camera still and focus on the face.": (
        "請保持鏡頭穩定並對焦臉部。",
        "请保持镜头稳定并对焦脸部。",
    ),
    "Use even light on the face: no strong backlight, no flash glare.": (
        "臉部光線須均勻：避免強烈背光或閃光燈反光。",
        "脸部光线须均匀：避免强烈背光或闪光灯反光。",
    ),
    "Upload a JPEG or PNG photo.": ("請上載 JPEG 或 PNG 相片。", "请上传 JPEG 或 PNG 照片。"),
    "Use a smaller photo (at most 10 MB and 40 megapixels).": (
        "請使用較小的相片（最多 10 MB 及 4000 萬像素）。",
        "请使用较小的照片（最多 10 MB 和 4000 万像素）。",
    ),
    "invalid_image": ("不是有效的圖像", "不是有效的图像"),
    "too_large": ("相片太大", "照片太大"),
    # Bulk import
    "Upload a CSV with one commuter per row and a zip of their photos (or one zip holding both).": (
        "上載 CSV（每行一名通勤人員）及相片 zip 檔（或把兩者放在同一個 zip 檔）。",
        "上传 CSV（每行一名通勤人员）及照片 zip 文件（或把两者放在同一个 zip 文件）。",
    ),
    "Each row is enrolled whole or not at all; the report says why a row failed.": (
        "每行要麼完整登記，要麼完全不登記；報告會說明失敗原因。",
        "每行要么完整登记，要么完全不登记；报告会说明失败原因。",
    ),
    "CSV file": ("CSV 檔案", "CSV 文件"),
    "Zip of photos": ("相片 zip 檔", "照片 zip 文件"),
    "Import": ("匯入", "导入"),
    "Line": ("行", "行"),
    "Result": ("結果", "结果"),
    "enrolled": ("已登記", "已登记"),
    "failed": ("失敗", "失败"),
    "queued": ("排隊中", "排队中"),
    "running": ("處理中", "处理中"),
    "done": ("完成", "完成"),
    # Decisions, directions, parks
    "cleared": ("放行", "放行"),
    "rejected": ("拒絕", "拒绝"),
    "refer": ("轉介人工", "转人工"),
    "to_hk": ("往香港", "往香港"),
    "to_sz": ("往深圳", "往深圳"),
    "hk": ("香港園區", "香港园区"),
    "sz": ("深圳園區", "深圳园区"),
    # Commuter statuses and credential kinds
    "pending": ("待批准", "待批准"),
    "active": ("有效", "有效"),
    "suspended": ("已暫停", "已暂停"),
    "static": ("靜態（證卡）", "静态（证卡）"),
    "dynamic": ("動態（手機）", "动态（手机）"),
    # Document types
    "passport": ("護照", "护照"),
    "hk_identity_card": ("香港身份證", "香港身份证"),
    "home_return_permit": ("回鄉證", "回乡证"),
    "exit_entry_permit": ("往來港澳通行證", "往来港澳通行证"),
    "mainland_resident_id": ("中華人民共和國居民身份證", "中华人民共和国居民身份证"),
    # Reasons a kiosk gives
    "no_qr": ("沒有二維碼", "没有二维码"),
    "malformed_qr": ("二維碼格式錯誤", "二维码格式错误"),
    "unknown_key": ("未知簽署密鑰", "未知签名密钥"),
    "bad_signature": ("簽署無效", "签名无效"),
    "expired": ("憑證過期", "凭证过期"),
    "code_missing": ("缺少動態碼", "缺少动态码"),
    "code_expired": ("動態碼過期", "动态码过期"),
    "bad_code": ("動態碼錯誤", "动态码错误"),
    "replayed": ("重用的動態碼", "重复使用的动态码"),
    "unknown_credential": ("未知憑證", "未知凭证"),
    "not_whitelisted": ("不在名單內", "不在名单内"),
    "no_face": ("找不到臉部", "找不到脸部"),
    "several_faces": ("多於一張臉", "多于一张脸"),
    "face_too_small": ("臉部太小", "脸部太小"),
    "face_blurred": ("臉部模糊", "脸部模糊"),
    "face_badly_exposed": ("臉部曝光不當", "脸部曝光不当"),
    "face_uncertain": ("臉部比對不確定", "脸部比对不确定"),
    "face_mismatch": ("臉部不符", "脸部不符"),
    "template_outdated": ("臉部範本須以新模型重建", "脸部模板须以新模型重建"),
    "presentation_attack": ("疑似以照片或螢幕冒充", "疑似以照片或屏幕冒充"),
    "liveness_uncertain": ("無法確認為真人", "无法确认为真人"),
    "anti_passback": ("防回傳：已在該園區", "防回传：已在该园区"),
    # Alert kinds
    "anti_passback_conflict": ("防回傳衝突", "防回传冲突"),
    "repeated_face_mismatch": ("同一憑證多次臉部不符", "同一凭证多次脸部不符"),
    "kiosk_silent": ("自助機失去聯絡", "自助机失去联系"),
    "disabled_kiosk_called": ("已停用的自助機仍在連線", "已停用的自助机仍在连接"),
    "kiosk_clock_skew": ("自助機時鐘偏差", "自助机时钟偏差"),
    "crossing_log_tampered": ("通關記錄鏈遭篡改", "通关记录链遭篡改"),
    # Actions in the audit trail
    "sign_in": ("登入", "登录"),
    "sign_in_failed": ("登入失敗", "登录失败"),
    "sign_in_refused": ("拒絕登入（失敗次數過多）", "拒绝登录（失败次数过多）"),
    "sign_out": ("登出", "退出登录"),
    "set_language": ("選擇語言", "选择语言"),
    "create_organisation": ("建立機構", "创建机构"),
    "edit_organisation": ("修改機構", "修改机构"),
    "create_user": ("建立職員帳戶", "创建职员账户"),
    "edit_user": ("修改職員帳戶", "修改职员账户"),
    "disable_user": ("停用職員帳戶", "停用职员账户"),
    "enable_user": ("啟用職員帳戶", "启用职员账户"),
    "reset_password": ("重設密碼", "重设密码"),
    "create_checkpoint": ("建立管制站", "创建管制站"),
    "edit_checkpoint": ("修改管制站", "修改管制站"),
    "create_kiosk": ("建立自助機", "创建自助机"),
    "edit_kiosk": ("自助機改名", "自助机改名"),
    "disable_kiosk": ("停用自助機", "停用自助机"),
    "enable_kiosk": ("啟用自助機", "启用自助机"),
    "rekey_kiosk": ("更換自助機密鑰", "更换自助机密钥"),
    "register_kiosk_key": ("綁定自助機簽署密鑰", "绑定自助机签名密钥"),
    "register_commuter": ("登記通勤人員", "登记通勤人员"),
    "add_photo": ("加入相片", "添加照片"),
    "approve_commuter": ("批准登記", "批准登记"),
    "suspend_commuter": ("暫停通勤人員", "暂停通勤人员"),
    "reinstate_commuter": ("恢復通勤人員", "恢复通勤人员"),
    "revoke_commuter": ("撤銷通勤人員", "撤销通勤人员"),
    "remake_template": ("重建臉部範本", "重建人脸模板"),
    "search_commuters": ("搜尋通勤人員", "搜索通勤人员"),
    "read_commuter": ("查閱通勤人員資料", "查阅通勤人员资料"),
    "view_reference_photo": ("查看參考相片", "查看参考照片"),
    "read_crossing_history": ("查閱通關記錄", "查阅通关记录"),
    "issue_credential": ("簽發證件", "签发证件"),
    "revoke_credential": ("撤銷證件", "撤销证件"),
    "read_credentials": ("查閱證件清單", "查阅证件清单"),
    "read_credential": ("查閱證件", "查阅证件"),
    "read_credential_qr": ("查閱證件二維碼", "查阅证件二维码"),
    "print_card": ("列印證卡", "打印证卡"),
    "start_import": ("開始批量匯入", "开始批量导入"),
    "read_import": ("查閱匯入報告", "查阅导入报告"),
    "deliver_crossings": ("自助機上傳通關記錄", "自助机上传通关记录"),
    "override_crossing": ("推翻自助機決定", "推翻自助机决定"),
    "acknowledge_alert": ("確認警報", "确认警报"),
    "rotate_data_key": ("輪換資料密鑰", "轮换数据密钥"),
    "rotate_signing_key": ("輪換簽署密鑰", "轮换签名密钥"),
    "backup": ("建立備份", "创建备份"),
    "restore": ("還原備份", "还原备份"),
    "purge": ("清除舊通關記錄", "清除旧通关记录"),
    "export_audit": ("匯出審計記錄", "导出审计记录"),
    "Name of a person or object": ("人員或對象的名稱", "人员或对象的名称"),
    "Newer": ("較新", "较新"),
    "Older": ("較舊", "较旧"),
    "Page {n}": ("第 {n} 頁", "第 {n} 页"),
    "No event matches.": ("沒有相符的記錄。", "没有相符的记录。"),
    "abandon_import": ("標記中斷的批量匯入", "标记中断的批量导入"),
    "activate_pass": ("在手機啟用通行證", "在手机启用通行证"),
    "read_pass_status": ("手機通行證查閱狀態", "手机通行证查阅状态"),
    "data_access_request": ("查閱資料要求（下載個人資料）", "查阅数据要求（下载个人资料）"),
    "kiosk": ("自助機", "自助机"),
    "operator": ("營運人員", "运营人员"),
    "commuter": ("通勤人員", "通勤人员"),
    "system": ("系統", "系统"),
    "every action": ("所有操作", "所有操作"),
    "credential of {name}": ("{name} 的證件", "{name} 的证件"),
    "Everything recorded about it": ("有關它的所有記錄", "有关它的所有记录"),
    # The commuter's phone pass (enrolment/pass_pages.py) and issuing it
    "Hetao pass": ("河套通行證", "河套通行证"),
    "Setting up your pass on this phone…": ("正在此手機設定通行證…", "正在此手机设置通行证…"),
    "No pass on this phone": ("此手機未有通行證", "此手机没有通行证"),
    "Open the activation link that enrolment staff give you (scan their QR code with this phone).": (
        "請開啟登記人員提供的啟用連結（用此手機掃描他們的二維碼）。",
        "请打开登记人员提供的启用链接（用此手机扫描他们的二维码）。",
    ),
    "This pass could not be set up": ("無法設定此通行證", "无法设置此通行证"),
    "This link is not valid. Ask enrolment staff for a new pass.": (
        "此連結無效。請向登記人員索取新的通行證。",
        "此链接无效。请向登记人员索取新的通行证。",
    ),
    "This link was already used on a phone. It works once: ask enrolment staff for a new pass.": (
        "此連結已在一部手機上使用。連結只可使用一次：請向登記人員索取新的通行證。",
        "此链接已在一部手机上使用。链接只能使用一次：请向登记人员索取新的通行证。",
    ),
    "This link has expired. Ask enrolment staff for a new pass.": (
        "此連結已過期。請向登記人員索取新的通行證。",
        "此链接已过期。请向登记人员索取新的通行证。",
    ),
    "This pass was revoked. Ask enrolment staff for a new one.": (
        "此通行證已被撤銷。請向登記人員索取新的通行證。",
        "此通行证已被撤销。请向登记人员索取新的通行证。",
    ),
    "This pass has expired. Ask enrolment staff for a new one.": (
        "此通行證已過期。請向登記人員索取新的通行證。",
        "此通行证已过期。请向登记人员索取新的通行证。",
    ),
    "No connection. Connect to the internet and try again.": (
        "沒有網絡連線。請連接互聯網後再試。",
        "没有网络连接。请连接互联网后重试。",
    ),
    "Try again": ("再試一次", "重试"),
    "This browser cannot keep a pass safely. Use a current Chrome or Safari.": (
        "此瀏覽器無法安全保存通行證。請使用最新版本的 Chrome 或 Safari。",
        "此浏览器无法安全保存通行证。请使用最新版本的 Chrome 或 Safari。",
    ),
    "Show this code to the kiosk camera. It changes every 30 seconds.": (
        "請向自助機鏡頭出示此二維碼。二維碼每 30 秒更新一次。",
        "请向自助机镜头出示此二维码。二维码每 30 秒更新一次。",
    ),
    "Valid until {date}": ("有效期至 {date}", "有效期至 {date}"),
    "Status checked {time}": ("狀態已於 {time} 核對", "状态已于 {time} 核对"),
    "Offline: the code still works. Status last checked {time}.": (
        "離線：二維碼仍然有效。狀態最後於 {time} 核對。",
        "离线：二维码仍然有效。状态最后于 {time} 核对。",
    ),
    "Offline: the code still works.": ("離線：二維碼仍然有效。", "离线：二维码仍然有效。"),
    "Full screen": ("全螢幕", "全屏"),
    "This pass is revoked": ("此通行證已被撤銷", "此通行证已被撤销"),
    "It was revoked on {time} and no longer opens the gate. Ask enrolment staff for a new pass.": (
        "它已於 {time} 被撤銷，不能再用於通關。請向登記人員索取新的通行證。",
        "它已于 {time} 被撤销，不能再用于通关。请向登记人员索取新的通行证。",
    ),
    "This pass has expired": ("此通行證已過期", "此通行证已过期"),
    "It expired on {time}. Ask enrolment staff for a new pass.": (
        "它已於 {time} 過期。請向登記人員索取新的通行證。",
        "它已于 {time} 过期。请向登记人员索取新的通行证。",
    ),
    "Your recent crossings": ("你最近的通關記錄", "你最近的通关记录"),
    "Your personal data": ("你的個人資料", "你的个人资料"),
    "Download everything held about you (a data access request under the Personal Data "
    "(Privacy) Ordinance). This phone proves it holds your pass; the request is recorded.": (
        "下載本系統持有關於你的全部資料（根據《個人資料（私隱）條例》提出的查閱資料要求）。"
        "此手機會證明它持有你的通行證；此要求會被記錄。",
        "下载本系统持有的关于你的全部资料（根据《个人资料（私隐）条例》提出的查阅数据要求）。"
        "此手机会证明它持有你的通行证；此要求会被记录。",
    ),
    "Download my data": ("下載我的資料", "下载我的资料"),
    "Downloaded.": ("已下載。", "已下载。"),
    "The download failed: connect to the internet and try again.": (
        "下載失敗：請連接互聯網後再試。",
        "下载失败：请连接互联网后重试。",
    ),
    "This phone's clock is wrong: set it to the network time.": (
        "此手機的時鐘不準確：請設定為使用網絡時間。",
        "此手机的时钟不准确：请设置为使用网络时间。",
    ),
    "phone pass": ("手機通行證", "手机通行证"),
    "Phone pass for {name}": ("{name} 的手機通行證", "{name} 的手机通行证"),
    "Hand this to the commuter now: they scan it with their phone's camera, or open the link on "
    "their phone. It works once, until {time}, and is not shown again.": (
        "請立即交給通勤人員：他們用手機鏡頭掃描，或在手機上開啟連結。連結只可使用一次，有效至 {time}，"
        "之後不會再顯示。",
        "请立即交给通勤人员：他们用手机镜头扫描，或在手机上打开链接。链接只能使用一次，有效至 {time}，"
        "之后不会再显示。",
    ),
    "waiting for the phone": ("等待手機啟用", "等待手机启用"),
    "on a phone since {time}": ("自 {time} 起在手機上使用", "自 {time} 起在手机上使用"),
    # Purposes of reading personal data
    "identity_check": ("身份核實", "身份核实"),
    "referred_attempt": ("處理轉介個案", "处理转介个案"),
    "alert_investigation": ("調查警報", "调查警报"),
    "complaint": ("處理投訴", "处理投诉"),
    "card_printing": ("列印證卡", "打印证卡"),
}


# Machine values as English readers see them.
ENGLISH: dict[str, str] = {
    "sign_in": "signed in",
    "sign_in_failed": "failed to sign in",
    "sign_in_refused": "sign-in refused (too many failures)",
    "sign_out": "signed out",
    "set_language": "chose a language",
    "create_organisation": "created an organisation",
    "edit_organisation": "edited an organisation",
    "create_user": "created a staff account",
    "edit_user": "edited a staff account",
    "disable_user": "disabled a staff account",
    "enable_user": "enabled a staff account",
    "reset_password": "set a new password",
    "create_checkpoint": "created a checkpoint",
    "edit_checkpoint": "edited a checkpoint",
    "create_kiosk": "created a kiosk",
    "edit_kiosk": "renamed a kiosk",
    "disable_kiosk": "disabled a kiosk",
    "enable_kiosk": "enabled a kiosk",
    "rekey_kiosk": "gave a kiosk a new key",
    "register_kiosk_key": "a kiosk's signing key bound",
    "register_commuter": "registered a commuter",
    "add_photo": "added a photo",
    "approve_commuter": "approved a registration",
    "suspend_commuter": "suspended a commuter",
    "reinstate_commuter": "reinstated a commuter",
    "revoke_commuter": "revoked a commuter",
    "remake_template": "remade a face template",
    "search_commuters": "searched commuters",
    "read_commuter": "opened a commuter's page",
    "view_reference_photo": "viewed a reference photo",
    "read_crossing_history": "read a crossing history",
    "issue_credential": "issued a credential",
    "activate_pass": "activated a phone pass",
    "abandon_import": "marked an import its server stopped as failed",
    "read_pass_status": "read a phone pass's status",
    "data_access_request": "downloaded their personal data (data access request)",
    "revoke_credential": "revoked a credential",
    "read_credentials": "listed credentials",
    "read_credential": "read a credential",
    "read_credential_qr": "read a credential's QR code",
    "print_card": "printed a card",
    "start_import": "started a bulk import",
    "read_import": "read an import's report",
    "deliver_crossings": "a kiosk delivered crossings",
    "override_crossing": "overrode a kiosk's decision",
    "acknowledge_alert": "acknowledged an alert",
    "rotate_data_key": "rotated the data key",
    "rotate_signing_key": "rotated the signing key",
    "backup": "made a backup",
    "restore": "restored a backup",
    "purge": "purged old crossings",
    "export_audit": "exported the audit trail",
    "to_hk": "to Hong Kong",
    "to_sz": "to Shenzhen",
    "hk": "Hong Kong Park",
    "sz": "Shenzhen Park",
    "east": "East footbridge",
    "west": "West footbridge",
    "refer": "refer to officer",
    "static": "static (card)",
    "dynamic": "dynamic (phone)",
    "passport": "Passport",
    "hk_identity_card": "Hong Kong Identity Card",
    "home_return_permit": "Mainland Travel Permit for HK and Macao Residents",
    "exit_entry_permit": "Exit-entry Permit (HK/Macao)",
    "mainland_resident_id": "Mainland Resident Identity Card",
    "no_qr": "no QR code",
    "malformed_qr": "not a credential",
    "unknown_key": "unknown signing key",
    "bad_signature": "bad signature",
    "expired": "expired",
    "code_missing": "code missing",
    "code_expired": "code expired",
    "bad_code": "wrong code",
    "replayed": "replayed code",
    "unknown_credential": "unknown credential",
    "not_whitelisted": "not on the whitelist",
    "no_face": "no face found",
    "several_faces": "several faces",
    "face_too_small": "face too small",
    "face_blurred": "face blurred",
    "face_badly_exposed": "face badly exposed",
    "face_uncertain": "face uncertain",
    "face_mismatch": "face mismatch",
    "template_outdated": "template made by an older face model",
    "presentation_attack": "a picture held up, not a live person",
    "liveness_uncertain": "not clearly a live person",
    "anti_passback": "anti-passback: already in that park",
    "anti_passback_conflict": "Anti-passback conflict",
    "repeated_face_mismatch": "Repeated face mismatches on one credential",
    "kiosk_silent": "Kiosk stopped calling the server",
    "disabled_kiosk_called": "A disabled kiosk's key is still in use",
    "kiosk_clock_skew": "A kiosk's clock is off",
    "crossing_log_tampered": "A kiosk's crossing log was tampered with",
    "identity_check": "Identity check",
    "referred_attempt": "Referred attempt",
    "alert_investigation": "Alert investigation",
    "complaint": "Complaint",
    "card_printing": "Card printing",
    "approval": "Approving the registration",
    "invalid_image": "Not an image",
    "too_large": "Photo too large",
}


# English says one of a thing in the singular (Chinese has no plural): the message counting, the
# value that counts, and the message for one.
ENGLISH_ONE: dict[str, tuple[str, str]] = {
    "{count} crossings": ("count", "1 crossing"),
    "{n} crossings waiting": ("n", "1 crossing waiting"),
    "{n} commuters have opted in; face-only walk-through is safe for at most {bound}.": (
        "n",
        "1 commuter has opted in; face-only walk-through is safe for at most {bound}.",
    ),
}


def translate(language: str, text: str, **values: Any) -> str:
    """``text`` in ``language`` (English if there is no translation), with ``{name}`` filled in."""
    if language != DEFAULT_LANGUAGE and text in MESSAGES:
        text = MESSAGES[text][0 if language == "zh-Hant" else 1]
    elif language == DEFAULT_LANGUAGE:
        counted, one = ENGLISH_ONE.get(text, ("", ""))
        text = one if counted and values.get(counted) == 1 else ENGLISH.get(text, text)
    return text.format(**values) if values else text


MESSAGES.update(REFUSALS)


def said(translate: Translate, message: Message | str) -> str:
    """A ``Message`` (an error's what and why) in the language of ``translate``: its template
    translated, and the machine words among its values (enum members) named in words."""
    if isinstance(message, Words):
        message = message.message
    message = as_message(message)
    values = {
        name: translate(value.value)
        if isinstance(value, Enum)
        else translate(str(value))
        if isinstance(value, Word)
        else said(translate, value.message if isinstance(value, Words) else value)
        if isinstance(value, Message | Words)
        else value
        for name, value in message.values.items()
    }
    return translate(message.text, **values)


def translator(language: str) -> Translate:
    def bound(text: str, **values: Any) -> str:
        return translate(language, text, **values)

    return bound


def from_accept_language(header: str) -> str:
    """The best of our languages for a browser's Accept-Language header (zh-HK, zh-TW and
    zh-Hant read Traditional; other Chinese reads Simplified)."""
    ranked = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower()))
    for _quality, _position, tag in sorted(ranked):
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh"):
            return "zh-Hant" if any(mark in tag for mark in ("hant", "-hk", "-tw", "-mo")) else "zh-Hans"
    return DEFAULT_LANGUAGE
