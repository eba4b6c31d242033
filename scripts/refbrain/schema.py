"""Load the reference's schema files into MariaDB: keep CREATE/ALTER statements only,
swap the MySQL-8 collation, add the recall_cnt column and fix the wechat_chat typo."""
import re, sys, pymysql
db = sys.argv[1]; files = sys.argv[2:]
stmts = []
for f in files:
    text = open(f, encoding='utf-8').read()
    text = re.sub(r'--[^\n]*', '', text)
    for m in re.finditer(r'(?is)\b(create\s+table.*?\)\s*ENGINE[^;\n]*|alter\s+table[^;]*);?', text):
        s = m.group(1).replace('utf8mb4_0900_as_cs', 'utf8mb4_bin').replace('wechat_accoount_id', 'wechat_account_id')
        stmts.append(s)
stmts.append("ALTER TABLE chat ADD recall_cnt int NOT NULL DEFAULT 0")
stmts.append("ALTER TABLE chat ADD status_infos LONGTEXT")  # v3 chat robots read it; its schema lacks it
con = pymysql.connect(host='localhost', user='root', unix_socket='/run/mysqld/mysqld.sock', charset='utf8mb4', autocommit=True)
cur = con.cursor()
cur.execute(f"DROP DATABASE IF EXISTS {db}"); cur.execute(f"CREATE DATABASE {db} DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_bin")
cur.execute("CREATE USER IF NOT EXISTS 'chat_user'@'localhost' IDENTIFIED BY '1'")
cur.execute(f"GRANT ALL ON {db}.* TO 'chat_user'@'localhost'")
cur.execute(f"USE {db}")
ok = bad = 0
for s in stmts:
    try:
        cur.execute(s); ok += 1
    except Exception as e:
        bad += 1; print('skip:', str(e)[:100], '|', s[:80].replace('\n', ' '))
print(db, 'ok', ok, 'skipped', bad)
