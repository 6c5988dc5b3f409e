-- wrk script for bench/mixed.sh: GET requests over the paths listed in the
-- file named by MIXED_URLS (one per line, hottest first), drawn Zipf-like
-- (the path of rank k with weight 1 / k^ZIPF_S), with a browser's
-- Accept-Encoding unless MIXED_AE is "none".
local paths, cum, total = {}, {}, 0
local s = tonumber(os.getenv("ZIPF_S") or "1.0")
for line in io.lines(os.getenv("MIXED_URLS")) do
  if line ~= "" then
    paths[#paths + 1] = line
    total = total + 1 / ((#paths) ^ s)
    cum[#paths] = total
  end
end
local headers = {}
if os.getenv("MIXED_AE") ~= "none" then
  headers["Accept-Encoding"] = "gzip, deflate, br, zstd"
end

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  math.randomseed(os.time() * 1000 + seed)
end

function request()
  local r = math.random() * total
  local lo, hi = 1, #cum
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cum[mid] < r then lo = mid + 1 else hi = mid end
  end
  return wrk.format("GET", paths[lo], headers)
end
