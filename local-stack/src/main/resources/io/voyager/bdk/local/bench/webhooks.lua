-- make bench: signed webhooks for wrk. Each wrk thread posts its own share of a pool of
-- pre-signed, unique deliveries (ext-authz refuses a replay), built once before the run.
-- Arguments (after --): pool file, body size in bytes, number of wrk threads, and the milliseconds
-- each connection waits before a request (only a paced run defines wrk's delay(), which reads it).
-- Pool file: one delivery per line, tab-separated: path, X-GitHub-Delivery, X-Hub-Signature-256,
-- sequence. The body is rebuilt here from the sequence exactly as the benchmark signed it.
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  local file, body_bytes, threads = args[1], tonumber(args[2]), tonumber(args[3])
  delay_ms = tonumber(args[4] or "0")
  requests_pool = {}
  local n = 0
  for line in io.lines(file) do
    if n % threads == id then
      local path, delivery, signature, seq = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
      local head = '{"action":"opened","seq":"' .. seq .. '","pad":"'
      local tail = '"}'
      local body = head .. string.rep("x", math.max(0, body_bytes - #head - #tail)) .. tail
      requests_pool[#requests_pool + 1] = wrk.format("POST", path, {
        ["Content-Type"] = "application/json",
        ["X-GitHub-Delivery"] = delivery,
        ["X-Hub-Signature-256"] = signature,
      }, body)
    end
    n = n + 1
  end
  next_request = 1
end

-- Past the pool's end the last delivery is sent again: a replay, which shows as a non-2xx answer.
function request()
  local r = requests_pool[next_request] or requests_pool[#requests_pool]
  next_request = next_request + 1
  return r
end
