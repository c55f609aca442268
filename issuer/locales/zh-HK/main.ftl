# 居民網站（繁體中文）。每個鍵在 en/main.ftl 都有對應；
# 如一種語言缺少另一種語言的鍵，單元測試會失敗。

service-name = 香港健康碼
skip-to-content = 跳至主要內容
language-switch = English
language-switch-label = Switch to English
error-prefix = 錯誤：
error-summary-title = 出現問題
footer-help = 查詢：請致電熱線 3142 2330
footer-privacy = 我們會在您登記進入場所後保留到訪紀錄 31 日，然後刪除。
sign-out = 登出
back-home = 返回首頁

# 首頁
start-title = 申請香港健康碼
start-lead = 「香港健康碼」分為綠碼、黃碼和紅碼。您前往廣東或澳門時，須在口岸出示健康碼的二維碼。健康碼的顏色準則與廣東省的「粵康碼」一致。健康碼有效至申請當日香港時間晚上 11 時 59 分。
start-who-title = 誰需要申請
start-who = 在免檢疫通關安排下前往廣東或澳門的香港居民。
start-prepare-title = 您需要準備
start-prepare-id = 您的身份證明文件（香港身份證、澳門身份證、往來港澳通行證或護照）及其簽發日期
start-prepare-phone = 香港、內地或澳門的流動電話號碼
start-prepare-address = 您的香港住址，以及最近 3 個月內發出的住址證明（居於公共屋邨則不需要）
start-prepare-visits = 「安心出行」流動應用程式內過去 31 日的到訪紀錄
start-routes-title = 我們如何核實您的身份
start-route-housing = 公共屋邨租戶：我們會向房屋委員會核對您的住址，並以短訊把啟動密碼發送至房委會記錄的電話號碼。
start-route-proof = 其他持香港身份證人士：審核人員核實您的住址證明後，我們會以短訊或郵寄方式發送啟動密碼。
start-route-letter = 如您的住址未能在網上核實，我們會把附有啟動密碼的信件郵寄至您的住址。
start-route-post-office = 如您不持有香港身份證，請帶同身份證明文件前往郵政局核實身份。
start-no-phone = 沒有智能手機或需要協助？請致電熱線 3142 2330。
start-have-account = 已經登記？
start-sign-in = 登入以申請今日的健康碼

# 登入
sign-in-title = 登入
sign-in-lead = 請使用您登記時的身份證明文件及密碼。
field-id-type = 身份證明文件類別
id-type-hkid = 香港身份證
id-type-moid = 澳門身份證
id-type-permit = 往來港澳通行證
id-type-passport = 護照
field-passport-country = 簽發護照的國家或地區
field-passport-country-hint = 護照資料頁上的 3 個英文字母代碼，例如 GBR。
field-id-number = 證件號碼
field-id-number-hint = 香港身份證號碼須包括英文字母及括號內的數字，例如 A123456(3)。
field-password = 密碼
sign-in-button = 登入
sign-in-wrong = 證件號碼或密碼不正確
sign-in-slow-down = 嘗試次數過多。請等候 { $seconds } 秒後再試
sign-in-busy = 您的網絡發出的要求過多。請等候一分鐘後再試
field-required = 請輸入{ $field }
field-id-number-invalid = 請按證件上所載輸入證件號碼
field-passport-country-invalid = 請輸入國家或地區的 3 個英文字母代碼，例如 GBR
field-too-long = { $field }過長

# 健康碼
code-title = 您的健康碼
code-none = 您今日尚未有健康碼。
code-apply-lead = 我們會根據衞生當局的紀錄、您的到訪紀錄及入境紀錄決定健康碼的顏色，然後發出今日的健康碼。
code-apply-button = 申請今日的健康碼
code-apply-again-button = 重新申請
code-colour-green = 綠碼
code-colour-amber = 黃碼
code-colour-red = 紅碼
code-colour-label = 顏色
code-valid-until = 有效至 { $date } 香港時間晚上 11 時 59 分
code-document = 證件
code-serial = 編號
code-issued = 於香港時間 { $time } 發出
code-qr-alt = 您的{ $colour }健康碼二維碼，有效至 { $date } 晚上 11 時 59 分
code-show-officer = 請在口岸向人員出示此二維碼。
code-revoked = 此健康碼已被撤回。請重新申請。
code-superseded = 您今日較早的健康碼已經失效：請使用這個健康碼。
code-reasons-title = 您獲發{ $colour }的原因
code-reasons-none = 紀錄中沒有任何令您獲發黃碼或紅碼的資料。
code-refused-limit = 您今日已申請 20 次，已達上限。請明日再試
code-refused-unavailable = 我們現時未能發出健康碼。請稍後再試
code-refused-account = 您的帳戶未啟動，未能獲發健康碼

reason-confirmed_case = 衞生當局記錄您為確診個案。
reason-probable_case = 衞生當局記錄您為疑似個案。
reason-close_contact = 衞生當局記錄您為密切接觸者。
reason-household_contact = 衞生當局記錄您為同住家居接觸者。
reason-compulsory_quarantine = 您正接受強制檢疫。
reason-discharged_within_14_days = 您出院未滿 14 日。
reason-symptoms_within_14_days = 您在過去 14 日曾出現病徵。
reason-high_risk_visit = 您在過去 21 日曾於高風險期間到訪某場所。
reason-high_risk_residence = 您居住的大廈在過去 21 日曾被列為高風險。
reason-recent_arrival = 您在過去 21 日內抵港。

fact-visit = { $place }：{ $check_in } 登記進入
fact-visit-out = { $place }：{ $check_in } 至 { $check_out }
fact-status = 由 { $start } 起
fact-status-ended = 由 { $start } 至 { $end }
fact-residence = 您的大廈由 { $from } 起被列為高風險
fact-arrival = 於 { $at } 抵港

# 問題
not-found-title = 找不到網頁
not-found-body = 如您自行輸入網址，請檢查是否正確。
problem-title = 對不起，服務出現問題
problem-body = 請稍後再試。您輸入的資料沒有遺失。
signed-out-title = 您已登出
signed-out-body = 請再次登入以查看您的健康碼。
cross-site-title = 此表格由其他網站發出
cross-site-body = 為保障您的安全，我們沒有處理此表格。請返回該網頁再試。

# 啟動帳戶
activate-title = 啟動您的帳戶
activate-lead = 請輸入我們以短訊或信件發送給您的 6 位數字啟動密碼，並設定密碼。
field-pin = 啟動密碼
field-pin-hint = 短訊或信件上的 6 位數字。
field-new-password = 設定密碼
field-new-password-hint = 最少 10 個字元。以數個互不相關的字詞組成的密碼較安全。
activate-button = 啟動帳戶
activate-wrong = 證件號碼或啟動密碼不正確，或啟動密碼已過期。如您已嘗試 5 次，請索取新的啟動密碼。
field-pin-invalid = 請輸入 6 位數字的啟動密碼
field-password-length = 請輸入 10 至 128 個字元的密碼
field-password-guessable = 此密碼太容易被猜到。請改用數個互不相關的字詞
activated-title = 您的帳戶已啟動
activated-body = 您現在可以使用身份證明文件及密碼登入。
start-activate = 以啟動密碼啟動您的帳戶

# 到訪紀錄
visits-title = 您的到訪紀錄
visits-lead = 健康碼的顏色取決於您在過去 21 日到訪的場所。請上載「安心出行」匯出的過去 31 日到訪紀錄。如您在多於一部手機使用「安心出行」，請上載每部手機的檔案：紀錄會合併。
field-visits-file = 「安心出行」的到訪紀錄檔案
field-visits-file-hint = .json 檔案。再次上載相同的紀錄不會有任何改變。
visits-upload-button = 上載紀錄
visits-received = 我們收到 { $received } 項紀錄：保留 { $stored } 項，沒有保留 { $refused } 項。
visits-refused-title = 我們沒有保留的紀錄
visits-refused-record = 紀錄
visits-refused-why = 原因
visits-held-title = 我們持有的紀錄
visits-held-none = 我們沒有持有您的到訪紀錄。
visits-held-caption = 您過去 31 日的到訪紀錄，由最早開始
visits-venue = 場所
visits-check-in = 進入
visits-check-out = 離開
visits-deleted-on = 刪除日期
visits-no-check-out = 沒有紀錄
visits-file-missing = 請選擇「安心出行」匯出的檔案
visits-file-unreadable = 此檔案並非「安心出行」的到訪紀錄檔案
visits-file-too-many = 檔案內的紀錄多於 5,000 項：請只上載過去 31 日的紀錄
visits-link = 上載您的到訪紀錄
visit-refused-not_a_record = 這不是到訪紀錄。
visit-refused-venue_id = 場所編號無效。
visit-refused-no_venue = 紀錄沒有場所：既沒有場所編號，也沒有掃描的二維碼。
visit-refused-venue_qr = 掃描的二維碼不是「安心出行」場所二維碼。
visit-refused-venue_disagrees = 場所編號與掃描的二維碼所指的場所不同。
visit-refused-time = 時間的格式與「安心出行」的不同。
visit-refused-too_old = 紀錄超過 31 日。
visit-refused-in_future = 有時間在未來。
visit-refused-check_out_before_check_in = 離開時間早於進入時間。
visit-refused-check_out_changed = 我們已持有這次到訪的另一個離開時間，不能更改。

# 覆核申請：事項及狀況（市民網站及職員介面）
appeal-ground-status = 有關我的衞生紀錄（例如密切接觸者）
appeal-ground-designation = 我曾到訪的高風險地點
appeal-ground-residence = 我的住宅大廈被列為高風險
appeal-ground-arrival = 我的抵港紀錄
appeal-state-open = 等候決定
appeal-state-upheld = 獲接納：紀錄已更正
appeal-state-rejected = 不獲接納：紀錄維持不變
code-print = 下載健康碼以供列印（PDF，中英對照）

# Converting a green code for Guangdong or Macao.
code-convert-title = 在廣東或澳門使用健康碼
code-convert-lead = 綠碼可轉換為廣東的粵康碼或澳門的健康碼。轉換資料只包括您的姓名、證件、顏色及有效期，並只有該地區的系統可以讀取。
code-convert-GD = 轉換為廣東粵康碼
code-convert-MO = 轉換為澳門健康碼
partner-GD = 廣東
partner-MO = 澳門
conversion-title = 已為{ $partner }轉換的健康碼
conversion-qr-alt = 已為{ $partner }轉換的綠色健康碼二維碼，有效至 { $date } 23:59
conversion-show = 請把此二維碼掃描到{ $partner }的健康碼系統，或儲存為檔案後在該系統匯入。
conversion-holds = 內容只有您的姓名、證件、綠色及有效期，並經加密，只有{ $partner }的系統可以讀取；不包括您的到訪紀錄或地址。
conversion-reference = 參考編號
conversion-download = 儲存為檔案
conversion-back = 返回您的健康碼
conversion-refused-not_green = 只有綠碼可以轉換
conversion-refused-no_code_today = 請先申請今日的健康碼
conversion-refused-code_revoked = 您的健康碼已被撤回，請先重新申請
conversion-refused-too_many_conversions = 此健康碼已轉換太多次，請明天申請新的健康碼
conversion-refused-no_partner = 暫時未能提供此轉換
