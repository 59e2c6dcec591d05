-- Run by editors/check/neovim.sh in `nvim --headless` on conflict.orc (a conflict on `port`),
-- after the init.lua taken from docs/editors.md: waits for orche's diagnostic, deletes the
-- conflicting line, waits for the diagnostic to clear. Exits 0 on success, 1 otherwise.

local function say(msg)
  io.stderr:write("neovim: " .. msg .. "\n")
end

local function fail(msg)
  say("FAIL: " .. msg)
  vim.cmd("cquit 1")
end

local buf = vim.api.nvim_get_current_buf()
local v = vim.version()
say(string.format("NVIM v%d.%d.%d, filetype %s", v.major, v.minor, v.patch, vim.bo[buf].filetype))
if vim.bo[buf].filetype ~= "orche" then
  fail("the buffer's filetype is not orche")
end

local function conflicts()
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    say(string.format("diagnostic %d: [%s] %s", d.lnum + 1, tostring(d.code), d.message))
    if d.code == "orche::eval::conflict" or tostring(d.message):find("conflicting values") then
      table.insert(found, d)
    end
  end
  return found
end

local got = {}
if not vim.wait(20000, function()
  got = vim.diagnostic.get(buf)
  return #got > 0
end, 50) then
  fail("timed out waiting for a diagnostic")
end
local found = conflicts()
if #found == 0 then
  fail("no conflict among the diagnostics")
end
if not tostring(found[1].message):find("conflicting values 8[01] and 8[01]") then
  fail("unexpected message: " .. found[1].message)
end

-- The fix: delete `port: 81` (line 4); the client sends the change itself.
vim.api.nvim_buf_set_lines(buf, 3, 4, false, {})
if not vim.wait(20000, function()
  return #vim.diagnostic.get(buf) == 0
end, 50) then
  conflicts()
  fail("timed out waiting for the diagnostic to clear")
end
say("ok: the conflict was shown, then cleared after the fix")
vim.cmd("qa!")
