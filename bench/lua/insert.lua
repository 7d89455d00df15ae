-- Bare ORM inserts with unique emails. args: petition id, run nonce
local threads, counter = {}, 0
function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end
function init(args)
  petition, nonce = args[1], args[2]
end
function request()
  counter = counter + 1
  local body = "petition_id=" .. petition .. "&email=i" .. nonce .. "-" .. id .. "-" ..
    counter .. "%40example.org"
  return wrk.format("POST", "/bench/insert",
    {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
