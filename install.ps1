# install.ps1 - install mcp-gateway-agent for the current Windows user (amd64 and arm64).
#
#   irm https://HUB/install.ps1 | iex                                   # latest release from that hub
#   $env:MCPGW_ENROLL = 'mcpgw_...'; irm https://HUB/install.ps1 | iex    # and enrol it with an agent key
#   $env:MCPGW_ENROLL = 'mcpgw_...'; .\install.ps1 -Hub https://HUB [-AgentId ID]
#   .\install.ps1 -Releases https://example.com/releases -Version 1.4.0
#   .\install.ps1 -Uninstall [-Purge]
#
# Installs into %LOCALAPPDATA%\mcp-gateway-agent\bin and adds it to the user's PATH, only after
# the release's Ed25519 signature was verified: with no way to verify it (no release key known,
# no openssl 1.1.1+ on PATH) it stops, unless -InsecureSkipSignature or
# $env:MCPGW_INSECURE_SKIP_SIGNATURE = '1' says to install an unverified binary anyway.
# docs/INSTALL.md explains what is verified. Everything below the parameters is a function,
# called on the last line: a download cut off half way runs nothing. The call is in braces so
# that a cut inside the last line does not parse either, rather than run without its arguments.

param(
    [string]$Hub = $env:MCPGW_HUB,
    [string]$Releases = $env:MCPGW_RELEASES,
    [string]$Version = $env:MCPGW_VERSION,
    [string]$Enroll = $env:MCPGW_ENROLL,
    [string]$AgentId = '',
    [string]$ReleaseKey = $env:MCPGW_RELEASE_KEY,
    [switch]$RequireSignature,
    [switch]$InsecureSkipSignature,
    [switch]$NoModifyPath,
    [switch]$Uninstall,
    [switch]$Purge
)

function Install-McpGatewayAgent {
    param(
        [string]$Hub, [string]$Releases, [string]$Version, [string]$Enroll, [string]$AgentId,
        [string]$ReleaseKey, [bool]$RequireSignature, [bool]$InsecureSkipSignature, [bool]$NoModifyPath,
        [bool]$Uninstall, [bool]$Purge
    )
    Set-StrictMode -Version 3.0
    $ErrorActionPreference = 'Stop'
    $ProgressPreference = 'SilentlyContinue'   # Invoke-WebRequest is very slow with a progress bar

    # The hub replaces these two placeholders when it serves the script.
    $servedHub = '@@MCPGW_HUB_URL@@'
    $servedKey = '@@MCPGW_RELEASE_KEY@@'
    if ($servedHub.StartsWith('@@')) { $servedHub = '' }
    if ($servedKey.StartsWith('@@')) { $servedKey = '' }
    if (-not $Hub) { $Hub = $servedHub }
    if (-not $ReleaseKey) { $ReleaseKey = $servedKey }
    # -RequireSignature is the default now and kept for older instructions; only an explicit
    # -InsecureSkipSignature (or the variable) lets an unverifiable release through.
    if ($env:MCPGW_INSECURE_SKIP_SIGNATURE -eq '1') { $InsecureSkipSignature = $true }

    $appDir = Join-Path $env:LOCALAPPDATA 'mcp-gateway-agent'
    $binDir = Join-Path $appDir 'bin'
    $exe = Join-Path $binDir 'mcp-gateway-agent.exe'
    $configHome = Join-Path $HOME '.mcp-gateway-agent'

    function Say([string]$msg) { Write-Host "mcp-gateway install: $msg" }
    function Warn([string]$msg) { Write-Warning "mcp-gateway install: $msg" }
    function Fail([string]$msg) { throw "mcp-gateway install: $msg" }

    function Test-Url([string]$what, [string]$url) {
        if ($url -notmatch '^https?://[A-Za-z0-9._~:/%@\[\]-]+$') {
            Fail "$what must be an http:// or https:// URL of letters, digits and ._~:/%@[]- (no query), got '$url'"
        }
        return $url.TrimEnd('/')
    }
    function Test-Name([string]$what, [string]$value) {
        if ($value -notmatch '^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$') {
            Fail "the $what '$value' is not a plain name ([A-Za-z0-9._+-], not starting with a dot)"
        }
    }

    function Get-Arch {
        $a = $null
        try { $a = [string][System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture } catch { }
        if (-not $a) {
            $a = $env:PROCESSOR_ARCHITECTURE
            if ($env:PROCESSOR_ARCHITEW6432) { $a = $env:PROCESSOR_ARCHITEW6432 }
        }
        switch -Regex ($a) {
            '^(X64|AMD64)$' { return 'amd64' }
            '^(Arm64|ARM64)$' { return 'arm64' }
            default { Fail "unsupported CPU architecture $a (supported: x64, ARM64)" }
        }
    }

    # Get-File downloads $url into $out, or fails naming the URL and the server's answer.
    function Get-File([string]$url, [string]$out) {
        try {
            Invoke-WebRequest -Uri $url -OutFile $out -UseBasicParsing
        } catch {
            $detail = $_.Exception.Message
            if ($_.ErrorDetails) { $detail = "$detail $($_.ErrorDetails.Message)" }
            Fail "download $url failed: $detail"
        }
    }

    # Ed25519 needs openssl (OpenSSL 1.1.1 or newer, e.g. the one in Git for Windows): .NET has none.
    function Test-Ed25519([string]$key, [string]$message, [string]$sigFile, [string]$tmp) {
        $pem = Join-Path $tmp 'key.pem'
        $bin = Join-Path $tmp 'sig.bin'
        Set-Content -Path $pem -Encoding ascii -Value "-----BEGIN PUBLIC KEY-----`nMCowBQYDK2VwAyEA$key`n-----END PUBLIC KEY-----"
        try {
            $b64 = (Get-Content -Raw -Path $sigFile) -replace '\s', ''
            [IO.File]::WriteAllBytes($bin, [Convert]::FromBase64String($b64))
        } catch { return $false }
        # Windows PowerShell 5.1 turns a native command's redirected stderr into errors, which
        # 'Stop' would make fatal: here a failed verification is an answer, not an error.
        $ErrorActionPreference = 'Continue'
        $global:LASTEXITCODE = -1
        & openssl pkeyutl -verify -pubin -inkey $pem -rawin -in $message -sigfile $bin *> $null
        return ($LASTEXITCODE -eq 0)
    }
    function Test-OpenSslEd25519([string]$tmp) {
        if (-not (Get-Command openssl -ErrorAction SilentlyContinue)) { return $false }
        $msg = Join-Path $tmp 'selftest.txt'
        $sig = Join-Path $tmp 'selftest.sig'
        [IO.File]::WriteAllText($msg, "mcp-gateway-agent install.sh signature self-test`n")
        [IO.File]::WriteAllText($sig, 'Hc/Hg1D95WfX2/luILQ076HbTLbDh1wlNNGaqU8ACoMLuhtKrpxxRQ3n9UdEDhXdHnZooyzI3InJNZJGZNSICQ==')
        return (Test-Ed25519 'qjsIySh8FjEoUYD4PWeVpFAXd95E5x6mMVyhZkmLNfQ=' $msg $sig $tmp)
    }
    # Skip-Signature stops the install when the signature cannot be checked, unless the user
    # asked for an unverified install in so many words.
    function Skip-Signature([string]$reason, [string]$fix) {
        if (-not $InsecureSkipSignature) {
            Fail "cannot check the release signature: $reason; nothing was installed. $fix, or, accepting an unverified binary, run again with -InsecureSkipSignature (or `$env:MCPGW_INSECURE_SKIP_SIGNATURE = '1')"
        }
        Warn "release signature NOT checked: $reason (-InsecureSkipSignature). Only the SHA-256 is checked, against a checksums.txt from the same server; the agent's own updates always check the signature."
    }

    # The user's PATH is read and written raw (REG_EXPAND_SZ) so entries such as %USERPROFILE%\bin
    # stay unexpanded; [Environment]::SetEnvironmentVariable would store them expanded.
    function Get-UserPath {
        $k = Get-Item -Path 'HKCU:\Environment'
        return [string]$k.GetValue('Path', '', 'DoNotExpandEnvironmentNames')
    }
    function Set-UserPath([string]$value) {
        Set-ItemProperty -Path 'HKCU:\Environment' -Name 'Path' -Value $value -Type ExpandString
        # Setting any user variable through .NET broadcasts WM_SETTINGCHANGE, so new shells
        # started from Explorer see the new PATH without signing out.
        [Environment]::SetEnvironmentVariable('MCPGW_PATH_CHANGED', '1', 'User')
        [Environment]::SetEnvironmentVariable('MCPGW_PATH_CHANGED', $null, 'User')
    }
    function Test-OurEntry([string]$entry) {
        $e = [Environment]::ExpandEnvironmentVariables($entry).TrimEnd('\')
        return ($e -ieq $binDir.TrimEnd('\'))
    }
    function Add-UserPath {
        $entries = @((Get-UserPath) -split ';' | Where-Object { $_ })
        if (@($entries | Where-Object { Test-OurEntry $_ }).Count -eq 0) {
            Set-UserPath ((@($binDir) + $entries) -join ';')
            Say "added $binDir to your user PATH"
        }
        if (-not (@($env:Path -split ';') -contains $binDir)) { $env:Path = "$binDir;$env:Path" }
    }
    function Remove-UserPath {
        $entries = @((Get-UserPath) -split ';' | Where-Object { $_ })
        $kept = @($entries | Where-Object { -not (Test-OurEntry $_) })
        if ($kept.Count -ne $entries.Count) {
            Set-UserPath ($kept -join ';')
            Say "removed $binDir from your user PATH"
        }
    }

    function Resolve-Release([string]$arch, [string]$tmp) {
        if ($Releases) {
            $base = Test-Url '-Releases' $Releases
            if (-not $Version) { Fail '-Releases needs -Version (a release directory has no "latest"; a hub does)' }
            $archive = ''
        } else {
            if (-not $Hub) { Fail 'no hub given: use -Hub URL (or $env:MCPGW_HUB), or -Releases URL -Version V' }
            $base = "$Hub/api/v1/agent/releases"
            $archive = ''
            if (-not $Version) {
                Say "asking $Hub for the current release for windows/$arch"
                try {
                    $latest = Invoke-RestMethod -Uri "$Hub/api/v1/agent/releases/latest?os=windows&arch=$arch" -UseBasicParsing
                } catch {
                    $detail = $_.Exception.Message
                    if ($_.ErrorDetails) { $detail = "$detail $($_.ErrorDetails.Message)" }
                    Fail "ask $Hub for the current release: $detail"
                }
                if (-not $latest) { Fail "the hub offers no release to new installs on windows/$arch right now (a staged rollout?); pass -Version V" }
                if (-not $latest.PSObject.Properties['version']) { Fail "the hub's answer names no version: $latest" }
                $Version = [string]$latest.version
                if ($latest.PSObject.Properties['archive']) { $archive = ([string]$latest.archive) -replace '^.*/', '' }
            }
        }
        Test-Name 'version' $Version
        if (-not $archive) { $archive = "mcp-gateway-agent_${Version}_windows_${arch}.zip" }
        Test-Name 'archive name' $archive
        if (-not $archive.EndsWith('.zip')) { Fail "the release archive $archive is not a .zip" }
        return @{ Version = $Version; Archive = $archive; Base = "$base/$Version" }
    }

    function Test-Release($rel, [string]$tmp) {
        $sums = Join-Path $tmp 'checksums.txt'
        Get-File "$($rel.Base)/checksums.txt" $sums
        if (-not $ReleaseKey) {
            $why = 'no release public key known'
            if ($servedHub -and -not $servedKey) { $why = "the hub $servedHub serves no release public key (its binary was built without one)" }
            Skip-Signature $why 'Pass the release public key with -ReleaseKey KEY (or $env:MCPGW_RELEASE_KEY)'
        } elseif ($ReleaseKey -notmatch '^[A-Za-z0-9+/]{43}=$') {
            Fail "the release key must be the base64 of a 32-byte Ed25519 public key, got '$ReleaseKey'"
        } elseif (-not (Test-OpenSslEd25519 $tmp)) {
            Skip-Signature 'no openssl on PATH can verify Ed25519 (OpenSSL 1.1.1 or newer is needed)' 'Put OpenSSL 1.1.1 or newer on PATH (Git for Windows ships one: $env:Path = "C:\Program Files\Git\usr\bin;$env:Path")'
        } else {
            $sig = Join-Path $tmp 'checksums.txt.sig'
            Get-File "$($rel.Base)/checksums.txt.sig" $sig
            if (-not (Test-Ed25519 $ReleaseKey $sums $sig $tmp)) {
                Fail "bad signature on checksums.txt of $($rel.Version): it was not signed by the release key $ReleaseKey; nothing was installed"
            }
            Say 'Ed25519 signature of checksums.txt verified'
        }
        $zip = Join-Path $tmp $rel.Archive
        Get-File "$($rel.Base)/$($rel.Archive)" $zip
        $want = $null
        foreach ($line in Get-Content -Path $sums) {
            $f = $line.Trim() -split '\s+'
            if ($f.Count -eq 2 -and $f[1].TrimStart('*') -eq $rel.Archive) { $want = $f[0].ToLowerInvariant(); break }
        }
        if (-not $want) { Fail "checksums.txt of $($rel.Version) does not list $($rel.Archive)" }
        $got = (Get-FileHash -Algorithm SHA256 -Path $zip).Hash.ToLowerInvariant()
        if ($got -ne $want) {
            Fail "checksum mismatch for $($rel.Archive): expected $want, got $got - the download is corrupt or was tampered with; nothing was installed"
        }
        Say "SHA-256 of $($rel.Archive) matches checksums.txt"
        return $zip
    }

    function Install-Binary([string]$zip, [string]$tmp) {
        $x = Join-Path $tmp 'x'
        Expand-Archive -Path $zip -DestinationPath $x -Force
        $new = Get-ChildItem -Path $x -Recurse -File -Filter 'mcp-gateway-agent.exe' | Select-Object -First 1
        if (-not $new) { Fail "the archive contains no mcp-gateway-agent.exe" }
        New-Item -ItemType Directory -Force -Path $binDir | Out-Null
        # A running exe cannot be overwritten on Windows, but it can be renamed.
        $staged = "$exe.new"
        Copy-Item -Path $new.FullName -Destination $staged -Force
        if (Test-Path $exe) {
            Remove-Item -Path "$exe.old" -Force -ErrorAction SilentlyContinue
            Move-Item -Path $exe -Destination "$exe.old" -Force
        }
        Move-Item -Path $staged -Destination $exe -Force
        $ErrorActionPreference = 'Continue'   # see Test-Ed25519
        $global:LASTEXITCODE = -1             # stays -1 if the binary cannot start at all
        try { $out = & $exe version 2>&1 } catch { $out = $_.Exception.Message }
        if ($LASTEXITCODE -ne 0) { Fail "the installed binary does not run: $out" }
        Say "installed ${exe}: $out"
    }

    function Invoke-Enroll {
        if (-not $Enroll) { return }
        if (-not $Hub) { Fail '-Enroll needs the hub URL (-Hub URL)' }
        Say "enrolling with $Hub"
        # The key goes to setup in its environment (MCPGW_API_KEY), never on its command line,
        # which other processes can read; the variable is put back as it was right after.
        $a = @('setup', '--hub', $Hub)
        if ($AgentId) { $a += @('--agent-id', $AgentId) }
        $saved = $env:MCPGW_API_KEY
        $env:MCPGW_API_KEY = $Enroll
        try { & $exe @a } finally { $env:MCPGW_API_KEY = $saved }
        if ($LASTEXITCODE -ne 0) { Fail "enrolment failed (the agent is installed; retry with: `$env:MCPGW_API_KEY = 'mcpgw_...'; $exe setup --hub $Hub)" }
    }

    function Invoke-Uninstall {
        if (Test-Path $exe) {
            # The agent removes its service first; the steps below remove whatever remains.
            $a = @('uninstall', '--yes')
            if ($Purge) { $a += '--purge' }
            & $exe @a
            if ($LASTEXITCODE -ne 0) { Warn 'mcp-gateway-agent uninstall failed; removing the files anyway' }
        }
        Remove-UserPath
        if (Test-Path $binDir) {
            try { Remove-Item -Recurse -Force -Path $binDir } catch { Warn "could not remove ${binDir}: $($_.Exception.Message) (is the agent still running?)" }
        }
        if ($Purge) {
            foreach ($d in @($appDir, $configHome)) {
                if (Test-Path $d) { Remove-Item -Recurse -Force -Path $d; Say "removed $d" }
            }
        } else {
            Say "removed $binDir (the configuration in $configHome is kept; -Purge removes it)"
        }
    }

    if ($Uninstall) { Invoke-Uninstall; return }
    if ($Hub) { $Hub = Test-Url 'the hub URL' $Hub }
    [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
    $arch = Get-Arch
    $tmp = Join-Path ([IO.Path]::GetTempPath()) ("mcpgw-install-" + [Guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $tmp | Out-Null
    try {
        $rel = Resolve-Release $arch $tmp
        Say "installing mcp-gateway-agent $($rel.Version) for windows/$arch from $($rel.Base)"
        $zip = Test-Release $rel $tmp
        Install-Binary $zip $tmp
        if (-not $NoModifyPath) { Add-UserPath }
        Invoke-Enroll
        if ($Enroll) {
            Say 'done. Start it: mcp-gateway-agent run   (or as a service: mcp-gateway-agent service install)'
        } else {
            Say "done. Next: mcp-gateway-agent setup --hub $Hub"
        }
    } finally {
        Remove-Item -Recurse -Force -Path $tmp -ErrorAction SilentlyContinue
    }
}

& { Install-McpGatewayAgent -Hub $Hub -Releases $Releases -Version $Version -Enroll $Enroll -AgentId $AgentId -ReleaseKey $ReleaseKey -RequireSignature $RequireSignature.IsPresent -InsecureSkipSignature $InsecureSkipSignature.IsPresent -NoModifyPath $NoModifyPath.IsPresent -Uninstall $Uninstall.IsPresent -Purge $Purge.IsPresent }
