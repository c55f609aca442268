# Signing in: the code by SMS
sign-in-code-title = Check your phone
sign-in-code-lead = We have sent a 6-digit code by text message to your phone ending { $ending }. It expires in { $minutes } minutes.
field-sign-in-code = Code from the text message
field-sign-in-code-hint = The 6 digits, for example 482910
sign-in-code-again = Not received it? Sign in again for a new code
sign-in-code-wrong = The code is not correct. Check the text message and try again
sign-in-code-spent = The code has expired or was tried too many times. Sign in again for a new code

# The session
session-ends = You are signed in until { $time } (Hong Kong time).
session-warning = You will be signed out in less than 5 minutes. Stay signed in to keep your answers.
session-extend = Stay signed in

# The account
account-link = Your account
account-title = Your account
account-reference = Application reference
account-status = Status
account-status-active = Active: you can apply for a code
account-document = Identity document
account-phone-ending = Mobile phone ending { $ending }
account-to-code = Go to today's code
account-to-visits = Go to your visit records
account-back = Back to your account
account-field-language = Language for text messages and letters
account-field-phone = Mobile phone
account-field-phone-hint = A Hong Kong, Mainland (+86) or Macao (+853) mobile number
account-field-password = Your password
account-field-pin = PIN from the text message
account-field-pin-hint = The 6 digits sent to your new phone
account-field-current_password = Your current password
account-field-new_password = New password
account-field-new_password-hint = At least 10 characters. A few unrelated words are easy to remember and hard to guess
language-name-en = English
language-name-zh-HK = 繁體中文
account-language-title = Change the language of text messages and letters
account-language-lead = We will write to you in this language. The web site follows the language you choose at the top of each page.
account-language-button = Save language
account-phone-title = Change your mobile phone
account-phone-lead = Enter your password and the new number. We will send a PIN to the new number to check that it is yours, and tell your old number that it changed.
account-phone-button = Send PIN to the new number
account-phone-pin-title = Check your new phone
account-phone-pin-lead = Enter the PIN we sent to your new phone. It expires in 10 minutes.
account-phone-pin-button = Use this phone
account-password-title = Change your password
account-password-lead = Everyone else signed in to your account will be signed out.
account-password-button = Change password
account-done-language = The language of your text messages and letters is saved
account-done-phone = Your mobile phone number has been changed
account-done-password = Your password has been changed. Other sessions have been signed out
account-pin-wrong = The PIN is not correct or has expired
account-pin-locked = The PIN was tried too many times. Ask for a new one
account-password-wrong = The password is not correct
account-password-weak = Choose a password of at least 10 characters that is harder to guess

# What is held about you
account-data-title = Your data
account-data-lead = You can download everything we hold about you: your application with the details you gave, the visit records we still hold, your codes and why they had their colour, any health records about your document, and a record of what was done with your account. The download is recorded.
account-data-download = Download your data (a JSON file)
account-reads-title = Staff who looked at your details
account-reads-none = No staff member has looked at your details.
account-reads-when = When (Hong Kong time)
account-reads-who = Who
account-reads-what = What they looked at
account-read-application_viewed = Your application
account-read-proof_viewed = Your proof of address
account-read-person_records_viewed = The health records about your document
role-unknown = Staff
account-export-title = Download your data
account-export-lead = Enter your password again. Your browser then saves a file (JSON) with everything we hold about you. Keep it safe: it holds your identity document number and address.
account-export-button = Download

# Closing the account
account-close-title = Close your account
account-close-summary = If you no longer need a Health Code, you can close your account. Your codes stop working at once and your details and visit records are deleted.
account-close-link = Close your account
account-close-lead = Enter your password to close your account. Any code you hold stops working at once, at every checkpoint. Your name, document, phone, address, visit records and proof of address are deleted; a record that the account existed and what was done with it stays, without your details. You can register again later. Download your data first if you want to keep it.
account-close-button = Close my account
account-closed-title = Your account is closed
account-closed-body = Your codes no longer work and your details have been deleted. To use the Health Code again, register again.
account-closed-start = Go to the start page
status-closed = Closed at the holder's request
account-status-closed = Closed

# Appeals
account-to-appeals = Appeal against a record behind your code
appeals-title = Appeals
appeals-lead = If a reason for your code's colour is wrong (a health record about you, a high-risk place you did not visit at that time, your building, an arrival), tell the department that keeps the record. It decides within 7 days and tells you by text message. If it agrees, it corrects the record and you can apply for a new code.
appeals-yours = Your appeals
appeals-none = You have not lodged an appeal.
appeals-lodged-on = Lodged (Hong Kong time)
appeals-ground = About
appeals-state = State
appeals-decision = Decision
appeals-due = A decision is due by { $due }.
appeals-new = Lodge an appeal
appeals-field-ground = What is wrong
appeals-field-ground-hint = Choose the kind of record your code's reason names.
appeals-field-statement = What happened
appeals-field-statement-hint = Say what is wrong and what is right, with dates and places. At most 2,000 characters.
appeals-field-evidence = Evidence (optional)
appeals-field-evidence-hint = A PDF, JPEG or PNG of at most 10 MB, for example a test result or a travel record.
appeals-lodge = Lodge the appeal
appeals-lodged = Your appeal { $reference } was lodged. A decision is due by { $due }; you will get a text message.
appeal-ground-missing = Choose what is wrong
appeal-statement-missing = Say what happened
appeal-statement-too-long = Say what happened in at most 2,000 characters
appeal-statement-invalid = What happened holds a character that cannot be shown; type it again
appeal-evidence-invalid = The evidence must be a PDF, JPEG or PNG of at most 10 MB that opens
appeals-reference = Reference
