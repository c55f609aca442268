service-name = 健康碼管制站
language-switch = English
language-switch-label = View this page in English
skip-to-content = 跳至主要內容
footer-privacy = 此頁只顯示數字，不保存亦不顯示任何旅客資料。

supervisor-title = { $checkpoint } 管制站各通道
supervisor-intro = 此管制站各通道最近數分鐘的查驗情況。
supervisor-as-of = 截至香港時間 { $time }。
supervisor-window-label = 顯示最近
supervisor-window-minutes = { $minutes ->
   *[other] { $minutes } 分鐘
}
supervisor-refresh = 立即更新
supervisor-auto = 此頁每 10 秒自動更新。
supervisor-pause = 暫停更新
supervisor-resume = 恢復更新
supervisor-update-failed = 上次更新失敗，所示數字可能已過時。請檢查服務，然後重新整理。
supervisor-no-lanes = 自服務啟動以來，此管制站尚未查驗任何健康碼。
lanes-caption = 各通道，最近 { $minutes ->
   *[other] { $minutes } 分鐘
}
lane-unassigned = （未指明通道）
lane-other = （其他通道，超過 64 條）
lane-column = 通道
verifications-column = 已查驗
per-minute-column = 每分鐘
admitted-column = 准予通關
secondary-column = 轉介二次檢查
refused-column = 拒絕通關
invalid-column = 無效
reasons-column = 未准通關原因
last-column = 最後查驗
reason-count = { $reason }：{ $count }
no-reasons = 沒有
never = 從未

freshness-heading = 此管制站持有的資料
ready-label = 可查驗旅客
ready-yes = 可以
ready-no = 不可以：{ $why }
not-ready-revocations-not-synced = 尚未收到撤銷資料
not-ready-trust-list-expired = 信任清單已過期
trust-label = 信任清單
trust-value = 第 { $seq } 號，有效至香港時間 { $time }
trust-expired = 第 { $seq } 號，已於香港時間 { $time } 過期
revocations-label = 撤銷紀錄
revocations-value = 持有 { $count ->
   *[other] { $count }
} 項，截至香港時間 { $time }（{ $age ->
   *[other] { $age }
} 秒前）
revocations-stale = 已過時：有效的健康碼會轉介二次檢查。
revocations-never = 尚未收到：有效的健康碼會轉介二次檢查。
redis-label = 與簽發系統的連線（Redis）
redis-up = 已連線
redis-down = 未連線
redis-embedded = 不適用：撤銷紀錄來自快照檔案
policy-label = 通關政策
no-policy = 沒有：只回覆查驗結果

reason-colour-green = 綠碼
reason-colour-amber = 黃碼
reason-colour-red = 紅碼
reason-specimen = 樣本（測試）碼
reason-no-colour = 健康碼沒有顏色
reason-identity-unchecked = 未核對身份證明文件
reason-issued-too-long-ago = 健康碼產生時間太久
reason-malformed = 不是健康碼
reason-unknown-key = 由未知密鑰簽發
reason-bad-signature = 簽署不符（偽造或經改動）
reason-key-revoked = 簽發密鑰已撤銷
reason-key-not-valid-at-issue = 產生健康碼時簽發密鑰無效
reason-not-yet-valid = 尚未生效
reason-expired = 已過期
reason-identity-mismatch = 身份證明文件與健康碼不符
reason-identity-unavailable = 未能核對身份證明文件
reason-no-qr-found = 相片中沒有二維碼
reason-revoked = 健康碼已撤銷
reason-revocation-unavailable = 撤銷資料過時
reason-trust-list-expired = 信任清單已過期

bad-minutes = 分鐘數必須是 1 至 15 的整數。

officer-title = 查驗健康碼
officer-form-heading = 旅客的健康碼及證件
officer-no-policy = 未載入通關政策：此頁只顯示健康碼是否有效。
officer-policy = 通關政策：{ $name }
officer-lane = 通道
officer-id-doc = 身份證明文件
officer-id-doc-hint = 類別及號碼，例如 HKID:A123456(3)、PERMIT:H12345678 或 MOID:1234567(8)。留空則只查驗健康碼。
officer-date-of-issue = 證件簽發日期
officer-date-of-issue-hint = 按證件所印，例如 2018-03-01。
officer-photo = 健康碼相片
officer-photo-hint = 手機屏幕或紙張上二維碼的 PNG 或 JPEG 相片。
officer-check = 查驗健康碼
officer-camera-heading = 用鏡頭掃描
officer-camera-start = 開啟鏡頭
officer-camera-stop = 關閉鏡頭
officer-camera-looking = 正在尋找健康碼，請在鏡頭前保持穩定。
officer-camera-denied = 未能使用鏡頭。請允許使用鏡頭，或在下面拍攝相片。
officer-camera-failed = 服務沒有回應，仍在尋找；如持續出現，請在下面使用相片。
officer-errors = 出現問題
officer-no-photo = 請選擇健康碼相片
officer-bad-lane = 通道須為 1 至 32 個英文字母、數字、「.」、「_」或「-」
officer-bad-document = 請以「類別:號碼」輸入證件，例如 HKID:A123456(3)
officer-date-without-document = 請輸入該簽發日期所屬的證件
officer-bad-date = 請輸入真實的簽發日期，例如 2018-03-01
officer-field-too-long = 有欄位過長
officer-form-unreadable = 未能讀取表格，請再試
officer-photo-too-large = 相片過大：上限為 16 MB
officer-busy = 管制站系統繁忙，請稍後再試
officer-no-identity-keys = 此管制站沒有身份密鑰，未能核對證件：請清除證件欄，只查驗健康碼
officer-failed = 服務內部查驗失敗：請再試，然後轉介二次檢查
officer-specimen = 樣本：測試用健康碼，並非真實健康碼
officer-reason = 原因
officer-colour = 健康碼
officer-valid-until = 有效至（香港時間）
officer-document = 證件
officer-next = 下一位旅客
decision-admit = 准予通關
decision-secondary = 轉介二次檢查
decision-refuse = 拒絕通關
decision-valid = 有效健康碼
decision-invalid = 無效
identity-match = 與健康碼相符
identity-mismatch = 與健康碼不符
identity-unchecked = 未核對
