# The staff consoles, in English. Each key has its twin in zh-HK/console.ftl.

console-name = Health Code staff console
forbidden-title = You cannot do this
forbidden-body = Your role does not allow this page or action. The attempt has been recorded.
yes = Yes
no = No

# Signing in and setting up
console-sign-in-title = Staff sign in
console-sign-in-lead = Sign in with your staff name, your password and the 6-digit code from your authenticator app.
console-field-name = Staff name
console-field-code = Code from your authenticator app
console-field-code-hint = 6 digits. A code works once; wait for the next one if you have just used it.
console-sign-in-button = Sign in
console-first-time-title = First time here?
console-first-time-link = Set up your sign-in with the set-up code from your administrator
console-sign-in-wrong = The name, password or code is not right
console-slow-down = Too many attempts. Wait a minute, then try again
console-set-up-title = Set up your sign-in
console-set-up-lead = Enter your staff name and the set-up code that your administrator gave you. It starts with hcstaff_.
console-field-token = Set-up code
console-field-token-hint = Given to you once when your account was added or reset.
console-set-up-continue = Continue
console-code-wrong = The code is not right. Enter the code that the app shows now for this account
console-set-up-wrong = The name or set-up code is not right, or sign-in is already set up. Ask your administrator to reset your sign-in
console-set-up-scan = Scan this QR code with your authenticator app (for example Google Authenticator or Microsoft Authenticator).
console-set-up-qr-alt = QR code to add your staff account to an authenticator app
console-set-up-type = If you cannot scan it, type this key into the app:
console-field-password-hint = At least 10 characters. A few unrelated words make a strong password.
console-field-first-code-hint = The 6-digit code that the app now shows for this account.
console-set-up-finish = Finish setting up
console-home-title = Your work
console-signed-in-as = Signed in as { $name }
console-signed-out-body = You have signed out of the staff console.

# Roles, routes, statuses
role-reviewer = Reviewer
role-post_office = Post office
role-health_authority = Health authority
role-immigration = Immigration
role-counter = Counter
role-admin = Administrator
route-housing = Public housing
route-proof = Proof of address
route-letter = Letter
route-post_office = Post office
route-counter = Counter (in person)
route-refused = Refused
status-review = Waiting for review
status-letter = Letter sent, waiting for its PIN
status-post_office = Waiting for a post-office check
status-pin_sent = Verified, PIN sent
status-active = Active
status-refused = Refused
status-superseded = Superseded
register-matched = Found in the register of identity cards
register-mismatched = Not found in the register of identity cards
register-unchecked = Not checked against the register

# Review
review-queue-title = Review queue
review-queue-lead = Applications waiting for a proof review, in the order to work them: public housing and proofs first, then by time received.
review-queue-empty = No application is waiting for review.
review-queue-caption = { $count ->
    [one] 1 application waiting
   *[other] { $count } applications waiting
}
review-reference = Reference
review-document-type = Document type
review-route = Route
review-proof = Proof of address
review-received = Received (Hong Kong time)
review-approved = Application { $reference } approved. The activation PIN is being sent by SMS.
review-rejected = Application { $reference } rejected. A letter with a PIN will be posted to the address.
review-back = Back to the review queue
review-application-title = Application
review-status = Status
review-name = Name
review-document = Identity document
review-date-of-issue = Date of issue
review-register = Register check
review-phone = Phone
review-address = Address
review-proof-download = Download the PDF proof (it is not shown here)
review-proof-alt = The proof of address uploaded by the applicant
review-no-proof = No proof was uploaded.
review-decide = Decide
review-approve = Approve: the proof shows this name and address
review-reject-reason = Why the proof does not show the address
reject-unreadable = The file cannot be read
reject-does-not-match = It is not in this name or not for this address
reject-not-accepted = It is too old or not an accepted document
review-reject = Reject and send a letter
review-decided = This application has been decided.

# Post office
post-office-title = Confirm identity at the post office
post-office-lead = Check the applicant's identity document and the letter they bring, then enter what they show.
post-office-field-reference = Application reference
post-office-field-reference-hint = Printed at the top of the letter.
post-office-field-pin = PIN on the letter
post-office-field-pin-hint = 6 digits, printed on the letter.
post-office-confirm = Confirm identity
post-office-done = Identity confirmed for application { $reference }. The activation PIN is being sent by SMS.
post-office-no-such = No application has this reference
post-office-not-waiting = This application is not waiting for a post-office check
post-office-wrong-document = The document does not match the application
post-office-wrong-pin = The PIN is not the one on the letter
post-office-pin-locked = The letter's PIN is locked after 5 wrong tries. The applicant must ask for a new letter

# Administration
admin-title = Staff and system
admin-token-once = Give this set-up code to the staff member now. It is shown only this once:
admin-system-title = System
admin-audit-intact = The audit log is intact ({ $count ->
    [one] 1 entry
   *[other] { $count } entries
} checked).
admin-audit-broken = The audit log does not verify. Tell the security officer now.
admin-letters-waiting = Letters waiting to be printed: { $count }
admin-staff-title = Staff
admin-name = Name
admin-role = Role
admin-signs-in = Console sign-in set up
admin-added-at = Added (Hong Kong time)
admin-actions = Actions
admin-disabled-at = Disabled { $at }
admin-rotate = Reset sign-in
admin-disable = Disable
admin-for = for { $name }
admin-add-title = Add a staff member
admin-name-hint = Letters, digits, dots, hyphens and underscores; at most 64.
admin-add = Add staff member
admin-name-invalid = Enter a name of letters, digits, dots, hyphens and underscores, at most 64
admin-role-invalid = Choose a role
admin-added = { $name } added.
admin-name-taken = A staff member already has this name
admin-disabled = { $name } disabled. Their token and sessions no longer work.
admin-rotated = The sign-in of { $name } was reset. They set it up again with the new set-up code.
outbox-title = SMS outbox
outbox-lead = The newest 100 messages. Reading this page is recorded in the audit log, as the messages hold PINs.
outbox-queued = Queued (Hong Kong time)
outbox-text = Text
outbox-status = Status

# Feeds
feeds-title = Upload health records
feeds-lead = Upload a file of records: CSV with a header row, or JSON. Each row is checked on its own; the good rows are stored as one batch even if others are refused, and the codes they affect are checked again at once. A row with withdrawn set to true withdraws the record it names.
feeds-field-kind = Kind of records
feeds-kind-statuses = Statuses of persons (cases, close contacts)
feeds-kind-designations = Designated high-risk places
feeds-kind-arrivals = Arrivals into Hong Kong
feeds-field-file = File
feeds-field-file-hint = CSV or JSON, up to 4 MB.
feeds-upload = Upload
feeds-result = { $received ->
    [one] 1 row
   *[other] { $received } rows
} read: { $stored } stored, { $unchanged } unchanged, { $refused } refused.
feeds-refused-title = Rows refused
feeds-row = Row
feeds-why = Why
feeds-file-unreadable = The upload cannot be read. Choose the file again
feeds-file-missing = Choose a file
feeds-file-refused = The file was refused as a whole, nothing was stored: { $problem }
feeds-kind-invalid = Choose a kind of records your role may upload
feeds-designations-title = Designations that count now
feeds-designations-none = No place is designated now.
feeds-place = Place
feeds-from = From (Hong Kong time)
feeds-to = To
feeds-in-force = In force

# Records in force
records-title = Records in force
records-link = See the records in force, withdraw one, and the re-evaluation runs
records-lead = Withdrawing a record stores a new version that says it was entered in error; it counts for nothing from then on, and the codes it touched are checked again at once.
records-action = Action
records-withdraw = Withdraw
records-withdrawn = The record was withdrawn. The codes it touched are being checked again.
records-not-withdrawn = Nothing was withdrawn: { $why }
records-person-title-statuses = Statuses of a person
records-person-title-arrivals = Arrivals of a person
records-find = Find records
records-person-none = No record of this kind is in force for this document.
records-status = Status
records-status-confirmed_case = Confirmed case
records-status-probable_case = Probable case
records-status-close_contact = Close contact
records-status-household_contact = Household contact of a close contact
records-status-compulsory_quarantine = Compulsory quarantine
records-status-discharged = Discharged from hospital
records-status-symptoms = Symptoms
records-arrived = Arrived (Hong Kong time)
records-origin = From
records-origin-mainland = The Mainland
records-origin-macao = Macao
records-origin-overseas = Overseas
records-origin-taiwan = Taiwan
records-scheme = Scheme
records-quarantine = Quarantine
records-scheme-return2hk = Return2hk
records-scheme-come2hk = Come2hk
records-quarantine-completed = Completed
records-quarantine-exempted = Exempted
records-quarantine-ongoing = In quarantine
records-quarantine-none = None required
records-pending = Not yet
records-runs-title = Re-evaluation runs
records-runs-none = No re-evaluation has run yet.
records-run-kind = Records
records-run-source = Source
records-run-records = Rows
records-run-due = Due (Hong Kong time)
records-run-done = Done
records-run-examined = Codes checked
records-run-revoked = Codes revoked

# Why a feed row was refused (the English page shows the API's own words)
feeds-line = line { $line }
feed-problem-missing = { $field }: missing
feed-problem-wrong_type = { $field }: the wrong type of value
feed-problem-no_offset = { $field }: a time without an offset (write Z or +08:00)
feed-problem-bad_time = { $field }: not an RFC 3339 time
feed-problem-unknown_value = { $field }: a value that is not accepted
feed-problem-end_before_start = { $field }: before the start
feed-problem-bad_document = { $field }: not a valid identity document
feed-problem-bad_place = { $field }: not a valid place id
feed-problem-disagrees = disagrees with an earlier row of the same record
feed-problem-nothing_to_withdraw = there is no such record to withdraw
feed-problem-not_a_row = not a row of the header's columns
feed-problem-not_utf8 = { $field }: not UTF-8 text

# Appeals
appeals-queue-title = Appeals
appeals-queue-lead = Residents' appeals against the records your department keeps, the nearest deadline first. Open one to see the statement, the evidence and the records held about the resident.
appeals-queue-empty = No appeal is waiting for a decision.
appeals-queue-caption = { $count ->
    [one] 1 appeal waiting
   *[other] { $count } appeals waiting
}
appeals-upheld = Appeal { $reference } upheld. The record was corrected and the resident is told by SMS.
appeals-rejected = Appeal { $reference } rejected. The resident is told by SMS.
appeal-reference = Reference
appeal-ground = Contests
appeal-lodged = Lodged (Hong Kong time)
appeal-due = Decide by (Hong Kong time)
appeal-overdue = overdue
appeal-back = Back to the appeals
appeal-title = Appeal
appeal-state = State
appeal-statement = What the resident says
appeal-evidence = Evidence
appeal-evidence-download = Download the PDF evidence (it is not shown here)
appeal-evidence-alt = The evidence uploaded by the resident
appeal-no-evidence = No evidence was uploaded.
appeal-records = Records held about the resident
appeal-records-hint = To uphold the appeal, choose the record to correct.
appeal-no-records = No record of this kind is in force for the resident.
appeal-record-designation = High-risk designation of
appeal-record-arrival = Arrival
appeal-decision = Decision
appeal-uphold = Uphold: the record is wrong and is corrected
appeal-reject = Reject: the record stands
appeal-correction = How the record is corrected (when upheld)
appeal-correction-withdraw = Withdraw it: it was entered in error
appeal-correction-end = End it at the time below
appeal-end = Ended at (Hong Kong time)
appeal-end-hint = For example 2022-12-09 10:00. Only for "End it".
appeal-reason = Reason for the resident
appeal-reason-hint = The resident reads this on their account page. Do not include other people's details. At most 1,000 characters.
appeal-decide = Record the decision
appeal-outcome-missing = Choose whether to uphold or reject the appeal
appeal-end-invalid = Enter when the record ended, as a date and time
appeal-problem-empty = Enter the reason for the resident
appeal-problem-too-long = The reason is longer than 1,000 characters
appeal-problem-hidden-character = The reason holds a hidden character; type it again
appeal-problem-no-such-record = Choose the record to correct
appeal-problem-bad-end = The end is before the record starts, or changes nothing
appeal-problem-bad-evidence = The evidence file cannot be accepted
appeal-problem-too-many-open = Too many appeals are open
appeal-problem-already-open = An appeal on this is already open

# Counter
counter-title = Counter
counter-lead = For residents without a smartphone. Look at the identity document in the resident's hand and type its number and date of issue: both must match the account.
counter-find = Find the resident
counter-date-invalid = Enter the date of issue as on the card, for example 2019-06-01
counter-not-found = No active account has this document and date of issue. Check the card, or register the resident.
counter-new-title = Not registered yet?
counter-register-link = Register a resident at the counter
counter-back = Back to the counter
counter-resident-title = Resident at the counter
counter-resident-lead = Check that the name matches the document in the resident's hand.
counter-todays-code = Today's code
counter-no-code = No valid code today
counter-print = Print today's code (PDF)
counter-consent-apply = The resident has shown this document and asks me to apply for today's code for them
counter-consent-register = The resident has shown this document in person and agrees to be registered, with the details above
counter-consent-missing = Tick the box once the resident has agreed
counter-apply = Apply for today's code
counter-applied = Today's code was issued. Print it for the resident.
counter-registered = The resident is registered and the account is active. Apply for today's code with their agreement.
counter-register-title = Register a resident at the counter
counter-register-lead = The document in hand confirms who the resident is, so the account is active at once. It has no password: the resident gets codes at any counter.
counter-phone-hint = A mobile number for text messages; an ordinary phone is enough
counter-register = Register the resident
counter-already-registered = This document already has an active account: find the resident instead
