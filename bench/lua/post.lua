-- The signing POST alone: a token fetched once by the harness, reused for every POST
-- (form tokens are bound to petition and partner, not to one use), unique emails.
-- args: form path, Origin header value, run nonce, token
local threads, counter = {}, 0
signed, refused, failed = 0, 0, 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  path, origin, nonce, token = args[1], args[2], args[3], args[4]
end

function request()
  counter = counter + 1
  local body = "token=" .. token ..
    "&first_name=Bench&last_name=Poster&country=DE&consent=y&email=p" ..
    nonce .. "-" .. id .. "-" .. counter .. "%40example.org"
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Origin"] = origin,
  }, body)
end

function response(status, headers, body)
  if status == 200 then signed = signed + 1
  elseif status >= 500 then failed = failed + 1
  else refused = refused + 1 end
end

function done(summary, latency, requests)
  local s, r, f = 0, 0, 0
  for _, t in ipairs(threads) do
    s = s + t:get("signed"); r = r + t:get("refused"); f = f + t:get("failed")
  end
  io.write(string.format('SIGN {"signed": %d, "refused": %d, "failed5xx": %d}\n', s, r, f))
end
