#!/usr/bin/env bash
# Proves the Dockerfile where no container engine runs. From a clean build context (git archive
# of a commit, minus .dockerignore) it runs every stage as the Dockerfile writes it: each stage
# starts empty, gets only what its COPY lines copy, and runs its RUN lines verbatim. Then it
# starts the final stage's CMD, with that stage's ENV and USER, on a fresh PostgreSQL database
# and checks what an operator relies on. The host's Node.js stands in for the base image.
#
# Commands run in a private mount namespace whose root is the host's with the stage's own
# directories (e.g. /app) mounted over it, so absolute paths in the Dockerfile mean what they
# mean in the image and what is written there stays in a temporary directory. /root/.npm there
# is a copy-on-write view of the host's npm cache: installs are fast, `npm cache clean` harmless.
#
# Usage: .ci/image-check.sh [commit]   (default HEAD; run as root, needs unshare and PostgreSQL)
set -euo pipefail
cd "$(dirname "$0")/.."
ref=${1:-HEAD}
started=$(date +%s)
say() { printf '\n-- %s (%ss)\n' "$1" "$(($(date +%s) - started))"; }
die() {
  echo "image-check: $*" >&2
  exit 1
}
[ "$(id -u)" = 0 ] || die "run it as root: it mounts the stages in a private mount namespace"

work=$(mktemp -d /tmp/image-check.XXXXXX)
chmod 755 "$work"
app_pid=''
db=''
cleanup() {
  if [ -n "$app_pid" ]; then
    kill "$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
  fi
  if [ -n "$db" ]; then
    psql -q -h 127.0.0.1 -p 5432 -U postgres -d postgres \
      -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

say "build context: git archive $ref, minus .dockerignore"
context=$work/context
mkdir "$context"
git archive --format=tar "$ref" | tar -x -C "$context"
dockerfile=$(git show "$ref:Dockerfile")
if [ -f "$context/.dockerignore" ]; then
  shopt -s globstar dotglob nullglob
  while read -r pattern || [ -n "$pattern" ]; do
    [[ -z $pattern || $pattern == \#* ]] && continue
    [[ $pattern == !* ]] && die ".dockerignore exceptions are not supported: $pattern"
    pattern=${pattern#/}
    # Unquoted on purpose: the pattern is a glob relative to the context's root, as for Docker.
    for match in "$context"/${pattern%/}; do rm -rf "$match"; done
  done <"$context/.dockerignore"
  shopt -u globstar dotglob nullglob
fi

# The base image's user (node:*-slim has `node`, uid 1000) and the host's cache, seen by the jail.
cp /etc/passwd "$work/passwd"
cp /etc/group "$work/group"
grep -q '^node:' "$work/passwd" || echo 'node:x:1000:1000::/home/node:/bin/bash' >>"$work/passwd"
grep -q '^node:' "$work/group" || echo 'node:x:1000:' >>"$work/group"
npm_cache=$(npm config get cache)
mkdir -p "$npm_cache" "$work/jail"

# Runs inside `unshare --mount`: builds the stage's view of the filesystem and execs the command.
# Arguments: stage directory, user, then the command (env -i with the environment, and argv).
enter_jail() {
  local stage=$1 user=$2 jail=$work/jail entry bind
  shift 2
  mount -t tmpfs jail "$jail"
  for entry in /*; do
    if [ -L "$entry" ]; then
      cp -P "$entry" "$jail/"
    elif [ -d "$entry" ]; then
      # /tmp not recursively: the jail itself is mounted under it.
      if [ "$entry" = /tmp ]; then bind=--bind; else bind=--rbind; fi
      mkdir "$jail/${entry#/}"
      mount "$bind" "$entry" "$jail/${entry#/}"
    fi
  done
  for entry in "$stage/fs"/*; do
    mkdir -p "$jail/${entry##*/}"
    mount --bind "$entry" "$jail/${entry##*/}"
  done
  mount -t overlay npm-cache -o "lowerdir=$npm_cache,upperdir=$stage/npm-upper,workdir=$stage/npm-work" \
    "$jail/root/.npm"
  mount --bind "$work/passwd" "$jail/etc/passwd"
  mount --bind "$work/group" "$jail/etc/group"
  if [ "$user" = root ]; then
    exec chroot "$jail" "$@"
  fi
  exec chroot "$jail" setpriv --reuid="$user" --regid="$user" --init-groups "$@"
}

# jailed <stage> <command> [args...]: sets $jail_command to run a command as the stage's RUN or
# CMD would (one simple command, so that `"${jail_command[@]}" &` gives the command's own pid).
jailed() {
  local stage=$1 home
  shift
  home=$(awk -F: -v user="${stage_user[$stage]}" '$1 == user { print $6 }' "$work/passwd")
  # Word splitting of stage_env is intended: its entries are checked to hold no spaces.
  # shellcheck disable=SC2206
  jail_command=(unshare --mount --propagation private
    bash -c "$(declare -f enter_jail); work=$work npm_cache=$npm_cache; enter_jail \"\$@\"" jail
    "$work/stages/$stage" "${stage_user[$stage]}"
    env -i -C "${stage_workdir[$stage]}" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    HOME="$home" ${stage_env[$stage]} "$@")
}

# Exec form (a JSON array) to NUL-separated words.
exec_form() { node -e 'process.stdout.write(JSON.parse(process.argv[1]).join("\0"))' "$1"; }

# The parser: one logical instruction per line (continuations joined, comments dropped).
instructions=()
line=''
while IFS= read -r raw || [ -n "$raw" ]; do
  [[ $raw =~ ^[[:space:]]*(#|$) ]] && continue
  raw=${raw%"${raw##*[![:space:]]}"}
  if [[ $raw == *\\ ]]; then
    line+="${raw%\\} "
    continue
  fi
  instructions+=("$line$raw")
  line=''
done <<<"$dockerfile"
[ -z "$line" ] || die "the Dockerfile ends inside a continuation"

declare -A stage_env stage_user stage_workdir
stage=''
healthcheck=''
cmd=''
for instruction in "${instructions[@]}"; do
  keyword=${instruction%%[[:space:]]*}
  args=$(sed -E 's/^[^[:space:]]+[[:space:]]+//' <<<"$instruction")
  [ -n "$stage" ] || [ "${keyword^^}" = FROM ] || die "an instruction before FROM: $instruction"
  case ${keyword^^} in
  FROM)
    [[ $args =~ ^node:([0-9]+)[.-][^[:space:]]*[[:space:]]+[Aa][Ss][[:space:]]+([a-z0-9_-]+)$ ]] ||
      die "only 'FROM node:<version> AS <name>' is understood: $instruction"
    [ "${BASH_REMATCH[1]}" = "$(node -p 'process.versions.node.split(".")[0]')" ] ||
      die "the base image has Node.js ${BASH_REMATCH[1]}, the host $(node --version)"
    stage=${BASH_REMATCH[2]}
    say "stage $stage"
    mkdir -p "$work/stages/$stage/"{fs,npm-upper,npm-work} "$work/stages/$stage/fs/root/.npm"
    stage_env[$stage]=''
    stage_user[$stage]=root
    stage_workdir[$stage]=/
    healthcheck=''
    cmd=''
    ;;
  WORKDIR)
    [[ $args == /* && $args != *[[:space:]\$]* ]] || die "only an absolute WORKDIR is understood: $instruction"
    top=${args#/}
    case ${top%%/*} in
    bin | dev | etc | lib | lib64 | proc | root | run | sbin | sys | tmp | usr | var)
      die "WORKDIR inside the base image's system directories is not supported: $args" ;;
    esac
    stage_workdir[$stage]=$args
    mkdir -p "$work/stages/$stage/fs$args"
    ;;
  ENV)
    for pair in $args; do
      [[ $pair =~ ^[A-Za-z_][A-Za-z0-9_]*=[^\"\'\$\\]*$ ]] || die "only ENV NAME=value (unquoted) is understood: $instruction"
    done
    stage_env[$stage]+=" $args"
    ;;
  COPY)
    from=$context
    if [[ $args =~ ^--from=([a-z0-9_-]+)[[:space:]]+(.*)$ ]]; then
      [ -d "$work/stages/${BASH_REMATCH[1]}" ] || die "COPY from an unknown stage: $instruction"
      from=$work/stages/${BASH_REMATCH[1]}/fs
      args=${BASH_REMATCH[2]}
    fi
    [[ $args != -* && $args != \[* && $args != *[\$*?]* ]] || die "this COPY is not understood: $instruction"
    read -ra words <<<"$args"
    [ "${#words[@]}" -ge 2 ] || die "COPY needs a source and a destination: $instruction"
    dest=${words[-1]}
    [[ $dest == /* ]] || dest=${stage_workdir[$stage]%/}/$dest
    dest=$work/stages/$stage/fs$dest
    for source in "${words[@]:0:${#words[@]}-1}"; do
      source=$from/${source#/}
      [ -e "$source" ] || die "COPY source not in the build context or stage: $instruction"
      if [ -d "$source" ]; then
        mkdir -p "$dest"
        cp -a "$source/." "$dest/"
      elif [[ ${words[-1]} == */ || ${#words[@]} -gt 2 ]]; then
        mkdir -p "$dest"
        cp -a "$source" "$dest/"
      else
        mkdir -p "$(dirname "$dest")"
        cp -a "$source" "$dest"
      fi
    done
    ;;
  RUN)
    [[ $args != \[* && $args != --* ]] || die "only the shell form of RUN is understood: $instruction"
    echo "RUN $args"
    jailed "$stage" /bin/sh -c "$args"
    "${jail_command[@]}" || die "RUN failed in stage $stage: $args"
    ;;
  USER)
    [[ $args =~ ^[a-z_][a-z0-9_-]*$ ]] || die "only USER <name> is understood: $instruction"
    stage_user[$stage]=$args
    ;;
  EXPOSE) ;; # the check picks a free port itself
  HEALTHCHECK)
    [[ $args =~ (^|[[:space:]])CMD[[:space:]]+(\[.*\])$ ]] || die "only HEALTHCHECK ... CMD [exec form] is understood: $instruction"
    healthcheck=${BASH_REMATCH[2]}
    ;;
  CMD)
    [[ $args == \[* ]] || die "only the exec form of CMD is understood: $instruction"
    cmd=$args
    ;;
  *) die "instruction not understood: $instruction" ;;
  esac
done
[ -n "$cmd" ] || die "the final stage has no CMD"

say "the image ($stage) carries no specs or test helpers"
strays=$(find "$work/stages/$stage/fs" -path '*/node_modules' -prune -o \
  \( -name '*.spec.*' -o -name '*.e2e-spec.*' -o -name '*spec-helper*' -o -path '*/test/*' \) -print)
[ -z "$strays" ] || die "test files in the image:"$'\n'"$strays"

say "start the CMD on a fresh PostgreSQL database"
db="mcp_auth_image_check_$(date +%s)_$$"
psql -q -h 127.0.0.1 -p 5432 -U postgres -d postgres -c "CREATE DATABASE \"$db\""
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
issuer=http://localhost:$port
# The variables docker-compose.yml gives the app, with fresh production secrets.
stage_env[$stage]+=" PORT=$port ISSUER_URL=$issuer DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db"
stage_env[$stage]+=" DEMO_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
stage_env[$stage]+=" MCP_AUTH_KEY_ENCRYPTION_SECRET=$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
mapfile -d '' argv < <(exec_form "$cmd")
jailed "$stage" "${argv[@]}"
"${jail_command[@]}" >"$work/app.log" 2>&1 &
app_pid=$!

# Ready when the Dockerfile's own HEALTHCHECK command passes, run as Docker would run it inside
# the container (its timing options are left to Docker).
[ -n "$healthcheck" ] || die "the final stage has no HEALTHCHECK"
mapfile -d '' probe < <(exec_form "$healthcheck")
jailed "$stage" "${probe[@]}"
for attempt in $(seq 1 60); do
  "${jail_command[@]}" && break
  kill -0 "$app_pid" 2>/dev/null || die "the app exited:"$'\n'"$(cat "$work/app.log")"
  [ "$attempt" -lt 60 ] || die "the HEALTHCHECK did not pass in 60 s:"$'\n'"$(cat "$work/app.log")"
  sleep 1
done
echo "HEALTHCHECK passes"

# fetch <method> <path> [curl args]: sets $status; the body and headers land in $work.
fetch() {
  status=$(curl -s -o "$work/body" -D "$work/headers" -w '%{http_code}' -X "$1" \
    "http://127.0.0.1:$port$2" "${@:3}")
}
fetch GET /health
[ "$status" = 200 ] || die "GET /health: $status $(cat "$work/body")"
echo "GET /health: 200"

fetch GET /.well-known/oauth-authorization-server
[ "$status" = 200 ] || die "GET /.well-known/oauth-authorization-server: $status"
node -e 'process.exit(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).issuer === process.argv[2] ? 0 : 1)' \
  "$work/body" "$issuer" || die "the metadata's issuer is not $issuer: $(cat "$work/body")"
echo "GET /.well-known/oauth-authorization-server: 200, issuer $issuer"

fetch POST /mcp -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
  --data '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
challenge=$(grep -i '^WWW-Authenticate:' "$work/headers" || true)
[ "$status" = 401 ] || die "POST /mcp without a token: $status, expected 401"
grep -Eiq '^WWW-Authenticate: Bearer .*resource_metadata=' <<<"$challenge" ||
  die "POST /mcp without a token: no Bearer challenge with resource_metadata: ${challenge:-none}"
echo "POST /mcp without a token: 401, ${challenge%$'\r'}"

say "image check passed"
