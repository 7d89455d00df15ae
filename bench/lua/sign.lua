-- The full signing path, as browsers do it: GET the form (its token), POST it back.
-- Tokens from any GET feed any POST of the same thread; one signature = GET + POST.
-- args: form path, Origin header value, run nonce (keeps emails unique across runs)
local threads = {}
local tokens, counter = {}, 0
-- Globals, not locals: done() reads them from each thread with thread:get().
signed, refused, failed = 0, 0, 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  path, origin, nonce = args[1], args[2], args[3]
end

function request()
  if #tokens > 0 then
    counter = counter + 1
    local body = "token=" .. table.remove(tokens) ..
      "&first_name=Bench&last_name=Signer&country=DE&consent=y&email=b" ..
      nonce .. "-" .. id .. "-" .. counter .. "%40example.org"
    return wrk.format("POST", path, {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Origin"] = origin,
    }, body)
  end
  return wrk.format("GET", path)
end

function response(status, headers, body)
  if status >= 500 then failed = failed + 1 end
  if status == 200 and body then
    local token = body:match('name="token" type="hidden" value="([^"]+)"')
    if token then
      table.insert(tokens, token)
    elseif body:find('id="thanks-title"', 1, true) then
      signed = signed + 1
    end
  elseif status == 422 or status == 429 then
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local s, r, f = 0, 0, 0
  for _, t in ipairs(threads) do
    s = s + t:get("signed"); r = r + t:get("refused"); f = f + t:get("failed")
  end
  io.write(string.format('SIGN {"signed": %d, "refused": %d, "failed5xx": %d}\n', s, r, f))
end
