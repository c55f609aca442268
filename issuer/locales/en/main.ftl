# The resident site, in English. Each key has its twin in zh-HK/main.ftl;
# a unit test fails when one language lacks a key the other has.

service-name = Hong Kong Health Code
skip-to-content = Skip to main content
language-switch = 繁體中文
language-switch-label = 轉換至繁體中文
error-prefix = Error:
error-summary-title = There is a problem
footer-help = Enquiries: call the hotline on 3142 2330
footer-privacy = We keep your visit records for 31 days after check-in, then delete them.
sign-out = Sign out
back-home = Go to the start page

# Start page
start-title = Get a Hong Kong Health Code
start-lead = The Hong Kong Health Code is a green, amber or red code that you show as a QR code at the boundary control points when you travel to Guangdong or Macao. Its colour follows the same rules as Guangdong's YueKang Code. A code is valid until 23:59 Hong Kong time on the day you apply for it.
start-who-title = Who needs it
start-who = Hong Kong residents who travel to Guangdong or Macao under the quarantine-free arrangements.
start-prepare-title = What you need
start-prepare-id = your identity document (Hong Kong identity card, Macao identity card, exit-entry permit or passport) and its date of issue
start-prepare-phone = a mobile phone number in Hong Kong, the Mainland or Macao
start-prepare-address = your residential address in Hong Kong, and a proof of address dated in the last 3 months (you do not need one if you live in public housing)
start-prepare-visits = the visit records of the last 31 days from the LeaveHomeSafe app
start-routes-title = How we check who you are
start-route-housing = Public housing tenants: we check your address with the Housing Authority and send an activation PIN by SMS to the phone they hold for you.
start-route-proof = Everyone else with a Hong Kong identity card: a reviewer checks your proof of address, then we send a PIN by SMS or by post.
start-route-letter = If your address cannot be checked online, we post a letter with a PIN to your address.
start-route-post-office = If you do not hold a Hong Kong identity card, take your document to a post office to confirm who you are.
start-no-phone = No smartphone, or need help? Call the hotline on 3142 2330.
start-have-account = Already registered?
start-sign-in = Sign in to apply for today's code

# Sign in
sign-in-title = Sign in
sign-in-lead = Use the identity document you registered with and your password.
field-id-type = Type of identity document
id-type-hkid = Hong Kong identity card
id-type-moid = Macao identity card
id-type-permit = Exit-entry permit
id-type-passport = Passport
field-passport-country = Country or territory that issued the passport
field-passport-country-hint = The 3-letter code on the passport's data page, for example GBR.
field-id-number = Document number
field-id-number-hint = For a Hong Kong identity card, include the letter and the digit in brackets, for example A123456(3).
field-password = Password
sign-in-button = Sign in
sign-in-wrong = The document number or password is not correct
sign-in-slow-down = Too many tries. Wait { $seconds } seconds, then try again
sign-in-busy = Too many requests from your network. Wait a minute, then try again
field-required = Enter your { $field }
field-id-number-invalid = Enter the document number as it is written on the document
field-passport-country-invalid = Enter the 3-letter code of the country or territory, for example GBR
field-too-long = The { $field } is too long

# The code
code-title = Your Health Code
code-none = You have no Health Code for today yet.
code-apply-lead = We work out your colour from the health authority's records, your visit records and your arrivals, then give you a code for today.
code-apply-button = Apply for today's code
code-apply-again-button = Apply again
code-colour-green = Green
code-colour-amber = Amber
code-colour-red = Red
code-colour-label = Colour
code-valid-until = Valid until 23:59 Hong Kong time on { $date }
code-document = Document
code-serial = Serial number
code-issued = Issued at { $time } Hong Kong time
code-qr-alt = QR code of your { $colour } Health Code, valid until 23:59 on { $date }
code-show-officer = Show this QR code to the officer at the control point.
code-revoked = This code has been withdrawn. Apply again for a new code.
code-superseded = Your earlier code of today no longer works: use this one.
code-reasons-title = Why your code is { $colour }
code-reasons-none = Nothing in the records gives you an amber or red code.
code-refused-limit = You have applied 20 times today, the most allowed. Try again tomorrow
code-refused-unavailable = We cannot issue codes right now. Try again later
code-refused-account = Your account cannot get a code: it is not active

reason-confirmed_case = The health authority records you as a confirmed case.
reason-probable_case = The health authority records you as a probable case.
reason-close_contact = The health authority records you as a close contact.
reason-household_contact = The health authority records you as a household contact.
reason-compulsory_quarantine = You are under compulsory quarantine.
reason-discharged_within_14_days = You left hospital less than 14 days ago.
reason-symptoms_within_14_days = You have had symptoms in the past 14 days.
reason-high_risk_visit = You visited a place in the past 21 days while it was high-risk.
reason-high_risk_residence = Your building has been high-risk in the past 21 days.
reason-recent_arrival = You arrived in Hong Kong in the past 21 days.

fact-visit = { $place }: checked in { $check_in }
fact-visit-out = { $place }: { $check_in } to { $check_out }
fact-status = From { $start }
fact-status-ended = From { $start } to { $end }
fact-residence = Your building was high-risk from { $from }
fact-arrival = Arrived { $at }

# Problems
not-found-title = Page not found
not-found-body = If you typed the web address, check it is correct.
problem-title = Sorry, there is a problem with the service
problem-body = Try again later. Nothing you entered has been lost.
signed-out-title = You are signed out
signed-out-body = Sign in again to see your code.
cross-site-title = This form was sent from another site
cross-site-body = For your safety we did not act on it. Go back to the page and try again.

# Activation
activate-title = Activate your account
activate-lead = Enter the 6-digit PIN we sent you by SMS or in a letter, and choose a password.
field-pin = Activation PIN
field-pin-hint = The 6 digits in the SMS or the letter.
field-new-password = Choose a password
field-new-password-hint = At least 10 characters. A few unrelated words make a strong password.
activate-button = Activate account
activate-wrong = The document number or PIN is not correct, or the PIN has expired. If you have tried 5 times, ask for a new PIN.
field-pin-invalid = Enter the 6 digits of the PIN
field-password-length = Enter a password of 10 to 128 characters
field-password-guessable = This password is too easy to guess. Choose a few unrelated words instead
activated-title = Your account is active
activated-body = You can now sign in with your identity document and your password.
start-activate = Activate your account with your PIN

# Visit records
visits-title = Your visit records
visits-lead = Your code's colour depends on the places you visited in the past 21 days. Upload the visit records of the past 31 days that the LeaveHomeSafe app exports. If you used the app on more than one phone, upload each phone's file: records are combined.
field-visits-file = Visit record file from the LeaveHomeSafe app
field-visits-file-hint = A .json file. Uploading the same records again changes nothing.
visits-upload-button = Upload records
visits-received = We received { $received ->
    [one] 1 record
   *[other] { $received } records
}: { $stored } kept, { $refused } not kept.
visits-refused-title = Records we did not keep
visits-refused-record = Record
visits-refused-why = Why
visits-held-title = Records we hold
visits-held-none = We hold no visit records for you.
visits-held-caption = Your visits in the past 31 days, oldest first
visits-venue = Place
visits-check-in = Checked in
visits-check-out = Checked out
visits-deleted-on = Deleted on
visits-no-check-out = Not recorded
visits-file-missing = Choose the file that the app exported
visits-file-unreadable = The file is not a visit record file from the app
visits-file-too-many = The file has more than 5,000 records: upload the records of the past 31 days only
visits-link = Upload your visit records
visit-refused-not_a_record = This is not a visit record.
visit-refused-venue_id = The place's code is not valid.
visit-refused-no_venue = It names no place: neither a place code nor a scanned poster.
visit-refused-venue_qr = The scanned poster cannot be read as a LeaveHomeSafe venue poster.
visit-refused-venue_disagrees = The place code and the scanned poster name different places.
visit-refused-time = A time is not written as the app writes it.
visit-refused-too_old = It is older than 31 days.
visit-refused-in_future = A time is in the future.
visit-refused-check_out_before_check_in = It was checked out before it was checked in.
visit-refused-check_out_changed = We already hold this visit with another check-out time, which cannot be changed.

# Appeals: what they contest and where they stand (the resident site and the consoles)
appeal-ground-status = A health record about me (for example close contact)
appeal-ground-designation = A high-risk place I visited
appeal-ground-residence = My building's high-risk designation
appeal-ground-arrival = My arrival into Hong Kong
appeal-state-open = Waiting for a decision
appeal-state-upheld = Upheld: the record was corrected
appeal-state-rejected = Not upheld: the record stands
code-print = Download the code to print (PDF, English and Chinese)

# Converting a green code for Guangdong or Macao.
code-convert-title = Use your code in Guangdong or Macao
code-convert-lead = A green code can be converted for Guangdong's YueKang code or Macao's health code. The conversion carries only your name, your document, the colour and the validity, and only that region's system can read it.
code-convert-GD = Convert for Guangdong (YueKang code)
code-convert-MO = Convert for Macao (Macao health code)
partner-GD = Guangdong
partner-MO = Macao
conversion-title = Your code converted for { $partner }
conversion-qr-alt = QR code of your green Health Code converted for { $partner }, valid until 23:59 on { $date }
conversion-show = Scan this QR code into { $partner }'s health code system, or save it as a file and import it there.
conversion-holds = It holds your name, your document, the colour green and its validity, sealed so that only { $partner }'s system can read it. Nothing about your visits or your address.
conversion-reference = Reference
conversion-download = Save as a file
conversion-back = Back to your code
conversion-refused-not_green = Only a green code can be converted
conversion-refused-no_code_today = Apply for today's code first
conversion-refused-code_revoked = Your code was withdrawn. Apply again first
conversion-refused-too_many_conversions = This code has been converted too many times. Apply for a new code tomorrow
conversion-refused-no_partner = This conversion is not offered at the moment
