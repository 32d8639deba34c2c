-- make bench: one GET with a bearer token for wrk. Arguments (after --): the token.
function init(args)
  wrk.headers["Authorization"] = "Bearer " .. args[1]
end
