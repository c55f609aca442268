service-name = Health Code checkpoint
language-switch = 繁體中文
language-switch-label = 以繁體中文檢視此頁
skip-to-content = Skip to main content
footer-privacy = This page shows counts only: no traveller's details are kept or shown here.

supervisor-title = Lanes at checkpoint { $checkpoint }
supervisor-intro = What each lane of this checkpoint did in the last minutes.
supervisor-as-of = As of { $time } Hong Kong time.
supervisor-window-label = Show the last
supervisor-window-minutes = { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}
supervisor-refresh = Refresh now
supervisor-auto = This page updates itself every 10 seconds.
supervisor-pause = Pause updates
supervisor-resume = Resume updates
supervisor-update-failed = The last update failed: the figures may be old. Check the service, then refresh.
supervisor-no-lanes = No code has been checked at this checkpoint since the service started.
lanes-caption = Lanes, last { $minutes ->
    [one] minute
   *[other] { $minutes } minutes
}
lane-unassigned = (no lane named)
lane-other = (other lanes, past 64)
lane-column = Lane
verifications-column = Codes checked
per-minute-column = Per minute
admitted-column = Admitted
secondary-column = Secondary inspection
refused-column = Refused
invalid-column = Not valid
reasons-column = Why not admitted
last-column = Last check
reason-count = { $reason }: { $count }
no-reasons = None
never = Never

freshness-heading = What this checkpoint holds
ready-label = Ready for travellers
ready-yes = Yes
ready-no = No: { $why }
not-ready-revocations-not-synced = no revocation data yet
not-ready-trust-list-expired = the trust list has expired
trust-label = Trust list
trust-value = Number { $seq }, valid until { $time } Hong Kong time
trust-expired = Number { $seq }, EXPIRED at { $time } Hong Kong time
revocations-label = Revocations
revocations-value = { $count ->
    [one] { $count } held
   *[other] { $count } held
}, current as of { $time } Hong Kong time ({ $age ->
    [one] { $age } second
   *[other] { $age } seconds
} ago)
revocations-stale = STALE: valid codes go to secondary inspection.
revocations-never = None received yet: valid codes go to secondary inspection.
redis-label = Link to the issuer (Redis)
redis-up = Connected
redis-down = Not connected
redis-embedded = Not used: revocations come from snapshot files
policy-label = Admission policy
no-policy = None: answers carry the verdict only

reason-colour-green = Green code
reason-colour-amber = Amber code
reason-colour-red = Red code
reason-specimen = Specimen (test) code
reason-no-colour = No colour on the code
reason-identity-unchecked = ID document not checked
reason-issued-too-long-ago = Code made too long ago
reason-malformed = Not a health code
reason-unknown-key = Signed by an unknown key
reason-bad-signature = Signature does not match (forged or altered)
reason-key-revoked = Signing key revoked
reason-key-not-valid-at-issue = Signing key not valid when the code was made
reason-not-yet-valid = Not yet valid
reason-expired = Expired
reason-identity-mismatch = ID document does not match the code
reason-identity-unavailable = ID document could not be checked
reason-no-qr-found = No QR code in the photo
reason-revoked = Code revoked
reason-revocation-unavailable = Revocation data too old
reason-trust-list-expired = Trust list expired

bad-minutes = The number of minutes must be a whole number from 1 to 15.

officer-title = Check a health code
officer-form-heading = The traveller's code and document
officer-no-policy = No admission policy is loaded: the page says whether the code is valid.
officer-policy = Admission policy: { $name }
officer-lane = Lane
officer-id-doc = ID document
officer-id-doc-hint = Type and number, for example HKID:A123456(3), PERMIT:H12345678 or MOID:1234567(8). Leave empty to check the code alone.
officer-date-of-issue = Date of issue on the document
officer-date-of-issue-hint = As printed on the card, for example 2018-03-01.
officer-photo = Photo of the code
officer-photo-hint = A PNG or JPEG photo of the QR code, on a phone screen or on paper.
officer-check = Check the code
officer-camera-heading = Scan with the camera
officer-camera-start = Start the camera
officer-camera-stop = Stop the camera
officer-camera-looking = Looking for a code. Hold it steady in front of the camera.
officer-camera-denied = The camera could not be used. Allow the camera, or take a photo below.
officer-camera-failed = The service did not answer. Still looking; if this goes on, use a photo below.
officer-errors = There is a problem
officer-no-photo = Choose a photo of the code
officer-bad-lane = The lane is 1 to 32 letters, digits, '.', '_' or '-'
officer-bad-document = Enter the document as TYPE:NUMBER, for example HKID:A123456(3)
officer-date-without-document = Enter the document that the date of issue belongs to
officer-bad-date = Enter the date of issue as a real date, for example 2018-03-01
officer-field-too-long = A field is too long
officer-form-unreadable = The form could not be read: try again
officer-photo-too-large = The photo is too large: the limit is 16 MB
officer-busy = The checkpoint is busy: try again in a moment
officer-no-identity-keys = This checkpoint holds no identity keys, so it cannot check a document: clear the document to check the code alone
officer-failed = The check failed inside the service: try again, then use secondary inspection
officer-specimen = SPECIMEN: a test code, never a real one
officer-reason = Why
officer-colour = Code
officer-valid-until = Valid until (Hong Kong time)
officer-document = Document
officer-next = Next traveller
decision-admit = ADMIT
decision-secondary = SECONDARY INSPECTION
decision-refuse = REFUSE
decision-valid = VALID CODE
decision-invalid = NOT VALID
identity-match = Matches the code
identity-mismatch = DOES NOT MATCH the code
identity-unchecked = Not checked
