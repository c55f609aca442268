-- wrk: POST the load server's token as JSON (target/load-token.txt).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local file = assert(io.open("target/load-token.txt"))
local token = file:read("*l")
file:close()
wrk.body = '{"token":"' .. token .. '"}'
