#!/usr/bin/env bash
# The literal curl commands of seeds 000 and 001, with only the
# Authorization header added, against a running control plane.
#   BASE=http://localhost:8000 TOKEN=<access token> api/testdata/seed_curls.sh
# Exits non-zero on the first HTTP error; prints every response body.
set -euo pipefail
BASE=${BASE:-http://localhost:8000}
AUTH="Authorization: Bearer ${TOKEN:?set TOKEN to an access token}"
c() { curl -sS --fail-with-body -H "$AUTH" "$@"; echo; }

echo "## seed 000 scenario 1"
# 1. 创建配置
c -X POST $BASE/api/followup-configs \
  -H "Content-Type: application/json" \
  -d '{
    "name": "Python开发复聊配置",
    "position": "Python开发",
    "is_active": true
  }'
# 2. 添加第1天的话术
c -X POST $BASE/api/followup-scripts \
  -H "Content-Type: application/json" \
  -d '{
    "config_id": 1,
    "day_number": 1,
    "content": "后续沟通会更及时，您方便留一下您的微信号吗？我这边加您。",
    "interval_hours": 24,
    "order": 1,
    "is_active": true
  }'
# 3. 添加第2天的话术
c -X POST $BASE/api/followup-scripts \
  -H "Content-Type: application/json" \
  -d '{
    "config_id": 1,
    "day_number": 2,
    "content": "您好，不知道您是否方便留个联系方式？",
    "interval_hours": 24,
    "order": 1,
    "is_active": true
  }'
# 4. 添加"往后一直"的话术
c -X POST $BASE/api/followup-scripts \
  -H "Content-Type: application/json" \
  -d '{
    "config_id": 1,
    "day_number": 0,
    "content": "您好，如果您感兴趣可以随时联系我。",
    "interval_hours": 72,
    "order": 1,
    "is_active": true
  }'
c "$BASE/api/followup-configs"
c "$BASE/api/followup-scripts?config_id=1"

echo "## seed 000 scenario 2"
c $BASE/api/followup-records?contact_id=1

echo "## seed 000 scenario 3"
c -X POST $BASE/api/followup-records/send \
  -H "Content-Type: application/json" \
  -d '{
    "contact_id": 1,
    "content": "您好，我想和您聊聊这个职位。"
  }'

echo "## seed 001 queries"
c "$BASE/api/contacts?page=1&page_size=20"
c "$BASE/api/contacts?search=张三"
c "$BASE/api/contacts?reply_status=已回复"
c "$BASE/api/contacts?start_date=2024-01-01&end_date=2024-12-31"
c "$BASE/api/contacts?search=产品经理&reply_status=已回复&wechat_exchanged=true&start_date=2024-01-01&end_date=2024-12-31"

echo "## seed 001 exports"
c "$BASE/api/contacts/export"
c "$BASE/api/contacts/export?start_date=2024-01-01&end_date=2024-12-31"
c "$BASE/api/contacts/export?reply_status=已回复&wechat_exchanged=true"
c "$BASE/api/contacts/export?search=产品经理&start_date=2024-01-01&end_date=2024-03-31&reply_status=已回复"
