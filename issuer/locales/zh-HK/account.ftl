# 登入：短訊驗證碼
sign-in-code-title = 請查看您的手機
sign-in-code-lead = 我們已把 6 位數字驗證碼以短訊發送至您尾數為 { $ending } 的手機，驗證碼 { $minutes } 分鐘內有效。
field-sign-in-code = 短訊驗證碼
field-sign-in-code-hint = 6 位數字，例如 482910
sign-in-code-again = 收不到短訊？請重新登入以取得新的驗證碼
sign-in-code-wrong = 驗證碼不正確。請查看短訊後再試
sign-in-code-spent = 驗證碼已過期或嘗試次數過多。請重新登入以取得新的驗證碼

# 登入時段
session-ends = 您的登入時段至 { $time }（香港時間）。
session-warning = 您將於 5 分鐘內被登出。請延長登入時段以保留您的資料。
session-extend = 延長登入時段

# 帳戶
account-link = 您的帳戶
account-title = 您的帳戶
account-reference = 申請編號
account-status = 狀態
account-status-active = 已啟動：您可申請健康碼
account-document = 身份證明文件
account-phone-ending = 尾數為 { $ending } 的手機
account-to-code = 前往今日的健康碼
account-to-visits = 前往您的到訪紀錄
account-back = 返回您的帳戶
account-field-language = 短訊及信件的語言
account-field-phone = 手機號碼
account-field-phone-hint = 香港、內地（+86）或澳門（+853）的手機號碼
account-field-password = 您的密碼
account-field-pin = 短訊密碼
account-field-pin-hint = 發送至您新手機的 6 位數字
account-field-current_password = 您現時的密碼
account-field-new_password = 新密碼
account-field-new_password-hint = 最少 10 個字元。幾個互不相關的詞語容易記住而難以猜中
language-name-en = English
language-name-zh-HK = 繁體中文
account-language-title = 更改短訊及信件的語言
account-language-lead = 我們會以此語言與您聯絡。網站的語言可在每頁頂部選擇。
account-language-button = 儲存語言
account-phone-title = 更改您的手機號碼
account-phone-lead = 請輸入您的密碼及新號碼。我們會把密碼發送至新號碼以核實號碼屬於您，並通知您的舊號碼已更改。
account-phone-button = 發送密碼至新號碼
account-phone-pin-title = 請查看您的新手機
account-phone-pin-lead = 請輸入我們發送至您新手機的密碼，密碼 10 分鐘內有效。
account-phone-pin-button = 使用此手機
account-password-title = 更改您的密碼
account-password-lead = 所有其他已登入您帳戶的裝置將被登出。
account-password-button = 更改密碼
account-done-language = 已儲存短訊及信件的語言
account-done-phone = 您的手機號碼已更改
account-done-password = 您的密碼已更改，其他登入時段已被登出
account-pin-wrong = 密碼不正確或已過期
account-pin-locked = 密碼嘗試次數過多。請申請新的密碼
account-password-wrong = 密碼不正確
account-password-weak = 請選擇一個最少 10 個字元而較難猜中的密碼

# What is held about you
account-data-title = 您的資料
account-data-lead = 您可以下載我們持有關於您的所有資料：您的申請及所提供的資料、我們仍持有的到訪紀錄、您的健康碼及其顏色的原因、與您證件有關的健康紀錄，以及您帳戶的操作紀錄。下載會被記錄。
account-data-download = 下載您的資料（JSON 檔案）
account-reads-title = 曾查看您資料的職員
account-reads-none = 沒有職員查看過您的資料。
account-reads-when = 時間（香港時間）
account-reads-who = 查看者
account-reads-what = 查看的內容
account-read-application_viewed = 您的申請
account-read-proof_viewed = 您的住址證明
account-read-person_records_viewed = 與您證件有關的健康紀錄
role-unknown = 職員
account-export-title = 下載您的資料
account-export-lead = 請再次輸入您的密碼，瀏覽器隨即會儲存一個載有我們持有關於您所有資料的檔案（JSON）。請妥善保管：檔案載有您的身份證明文件號碼及住址。
account-export-button = 下載

# 關閉帳戶
account-close-title = 關閉您的帳戶
account-close-summary = 如您不再需要健康碼，可以關閉帳戶。您的健康碼會即時失效，您的資料及到訪紀錄會被刪除。
account-close-link = 關閉您的帳戶
account-close-lead = 請輸入密碼以關閉帳戶。您持有的健康碼會即時在所有管制站失效。您的姓名、證件、手機號碼、住址、到訪紀錄及住址證明會被刪除；帳戶曾經存在及其操作紀錄會保留，但不含您的資料。您日後可再次登記。如需保留資料，請先下載。
account-close-button = 關閉我的帳戶
account-closed-title = 您的帳戶已關閉
account-closed-body = 您的健康碼已失效，您的資料已被刪除。如需再次使用健康碼，請重新登記。
account-closed-start = 前往首頁
status-closed = 已應持有人要求關閉
account-status-closed = 已關閉

# 覆核申請
account-to-appeals = 就健康碼背後的紀錄申請覆核
appeals-title = 覆核申請
appeals-lead = 如健康碼顏色的原因有誤（有關你的衞生紀錄、你當時並未到訪的高風險地點、你的住宅大廈、抵港紀錄），請告知保存該紀錄的部門。部門會在 7 日內作出決定，並以短訊通知你。如部門同意，會更正紀錄，你可再申請健康碼。
appeals-yours = 你的覆核申請
appeals-none = 你未曾提出覆核申請。
appeals-lodged-on = 提交時間（香港時間）
appeals-ground = 事項
appeals-state = 狀況
appeals-decision = 決定
appeals-due = 將於 { $due } 前作出決定。
appeals-new = 提出覆核申請
appeals-field-ground = 有誤的紀錄
appeals-field-ground-hint = 請選擇健康碼原因所指的紀錄類別。
appeals-field-statement = 事情經過
appeals-field-statement-hint = 請說明錯誤之處及正確資料，包括日期及地點。最多 2,000 字。
appeals-field-evidence = 證明文件（可選）
appeals-field-evidence-hint = PDF、JPEG 或 PNG 檔案，不多於 10 MB，例如檢測結果或出入境紀錄。
appeals-lodge = 提交覆核申請
appeals-lodged = 你的覆核申請 { $reference } 已提交。將於 { $due } 前作出決定，屆時你會收到短訊。
appeal-ground-missing = 請選擇有誤的紀錄
appeal-statement-missing = 請說明事情經過
appeal-statement-too-long = 事情經過最多 2,000 字
appeal-statement-invalid = 事情經過含有無法顯示的字元，請重新輸入
appeal-evidence-invalid = 證明文件須為可開啟的 PDF、JPEG 或 PNG 檔案，不多於 10 MB
appeals-reference = 參考編號
