#!/usr/bin/env bash
# Developer tool, not used by `make test`: runs the reference hunter_robot brain (both code
# lines) on loopback so the bot and `hunterbot brain` can be checked against it. See
# docs/brain.md ("Running the reference locally").
#
#   scripts/refbrain/setup.sh MIRROR_GIT_DIR   # once: Debian packages, MariaDB schemas, code copies
#   scripts/refbrain/setup.sh start|stop [v2|v3]
#
# MIRROR_GIT_DIR is a git clone of siliconbaselife/hunter_robot (branches v2.0_maimai_add_friend
# and v3.0). Everything goes to $REFBRAIN_DIR (default /tmp/refbrain), outside the repo.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export REFBRAIN_DIR=${REFBRAIN_DIR:-/tmp/refbrain}
py=/usr/bin/python3   # Debian's python, which has the apt-installed modules
port() { [ "$1" = v2 ] && echo 2040 || echo 2041; }
# up: the server answers HTTP at all (v3.0's /test writes a fixed row and answers 500 after
# its first call).
up() { [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' 127.0.0.1:$1/test)" != 000 ]; }

start() {
  mysqladmin status >/dev/null 2>&1 || service mariadb start >/dev/null
  pgrep -f 'algo_standin.py 12222' >/dev/null ||
    (nohup $py "$here/algo_standin.py" 12222 >"$REFBRAIN_DIR/algo.log" 2>&1 &)
  for line in ${1:-v2 v3}; do
    p=$(port $line)
    if up $p; then echo "$line already up on :$p"; continue; fi
    (cd "$REFBRAIN_DIR/run/$line" && mkdir -p log &&
      PYTHONPATH="$here/stubs" gunicorn -c config/gunicorn_config.py web.serv_main_v2:app)
    for _ in $(seq 1 150); do up $p && break; sleep 0.2; done
    up $p && echo "$line up on :$p" ||
      echo "$line failed: see $REFBRAIN_DIR/run/$line/log/error.log"
  done
}

stop() {
  for line in ${1:-v2 v3}; do
    f=$REFBRAIN_DIR/run/$line/log/gunicorn.pid
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null && echo "stopped $line (its master takes ~15 s to exit)"
  done
  return 0
}

install() {
  mirror=$1
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server gunicorn python3-flask \
    python3-flask-cors python3-pymysql python3-gevent python3-requests python3-requests-toolbelt \
    python3-numpy python3-pandas python3-docx python3-fitz python3-json5 python3-xlsxwriter \
    python3-shortuuid python3-google-auth-oauthlib python3-bs4 python3-pydantic
  mysqladmin status >/dev/null 2>&1 || service mariadb start
  mkdir -p "$REFBRAIN_DIR/run"
  for pair in v2:v2.0_maimai_add_friend v3:v3.0; do
    line=${pair%%:*} branch=${pair#*:} dir=$REFBRAIN_DIR/run/${pair%%:*}
    rm -rf "$dir" && mkdir -p "$dir"
    git -C "$mirror" archive "$branch" | tar -x -C "$dir"
    # Its own gunicorn settings stay; only the address, the database and the outbound
    # WeCom group message (logged instead of sent) change.
    sed -i "s/config\['db'\]\['name'\] = .*/config['db']['name'] = 'ref_$line'/" "$dir/utils/config.py"
    sed -i "s/^bind = .*/bind = '127.0.0.1:$(port $line)'/" "$dir/config/gunicorn_config.py"
    sed -i "/def send_text(self, _message/a\        logger.info('group msg not sent (local run)'); return True" "$dir/utils/group_msg.py"
    $py "$here/schema.py" "ref_$line" "$dir/file/tables.sql" "$dir/file/db.sql"
  done
  # v3.0's console routes need a manage account (login hunter / hunter).
  mysql ref_v3 -e "insert into manage_account (manage_account_id,password,\`desc\`,config) values ('hunter','hunter','local','{\"group_msg\":\"beijing\"}')"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  ""|-h|--help) sed -n 2,10p "$0"; exit 2 ;;
  *) install "$1" ;;
esac
