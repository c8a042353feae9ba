-- A database of 1,000,000 cases for the command-line benchmark, generated
-- in one transaction by bench/cli.sh on a database made by `memberdesk
-- init`. Distribution (of a chamber's life time): 70% closed, 21% archived,
-- 3% rejected, 1% merged, 1.5% resolved, and open cases (the ones that can
-- be overdue): 1.5% handling, 0.7% registered, 0.3% rehandling; about one
-- open case in ten is past its deadline. Events (3 each) for the newest
-- 100,000 cases, and an incoming message for the newest 20,000.
-- Parameters are substituted by the script: @N@ cases, @NOW@ the clock.
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
INSERT INTO members (id, kind, name, unit_name, phone, created_at, updated_at)
WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 5000)
SELECT i, CASE WHEN i % 3 THEN 'unit' ELSE 'individual' END, '会员' || i,
    CASE WHEN i % 3 THEN '会员单位' || i || '有限公司' ELSE '' END, '', @NOW@, @NOW@ FROM k;
INSERT INTO member_addresses (address, member_id)
SELECT 'm' || id || '@members.test', id FROM members;

INSERT INTO cases (id, number, prefix, year, seq, subject, text, type, tier, status,
    channel, member_id, requester_name, requester_unit, requester_email,
    submitted_at, created_at, updated_at, review_due, handling_due, rehandling_due,
    accepted_at, resolved_at, closed_at)
WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < @N@),
c AS (
  SELECT i,
    -- 1,000,000 cases spread over 25 years, newest last.
    @NOW@ - (@N@ - i) * 790 AS t,
    (i * 7919) % 1000 AS r,
    (i % 5000) + 1 AS m
  FROM k)
SELECT i, printf('MD-%d-%06d', 2001 + (i - 1) / 40000, (i - 1) % 40000 + 1), 'MD',
    2001 + (i - 1) / 40000, (i - 1) % 40000 + 1,
    '关于' || (CASE i % 5 WHEN 0 THEN '高新技术企业认定' WHEN 1 THEN '货款拖欠' WHEN 2 THEN '融资对接'
        WHEN 3 THEN '年会组织' ELSE '会员证明' END) || '的诉求（' || i || '）',
    '您好！我公司是贵会的单位会员，主要从事精密机械零部件的加工与出口业务。今年以来经营压力较大，希望商会能够协调解决。此致。',
    CASE i % 5 WHEN 0 THEN 'policy' WHEN 1 THEN 'rights' WHEN 2 THEN 'difficulty'
        WHEN 3 THEN 'opinion' ELSE 'other' END,
    CASE WHEN r < 955 THEN (CASE i % 3 WHEN 0 THEN 'simple' WHEN 1 THEN 'general' ELSE 'major' END) END,
    -- The newest cases are the open ones; status by the case's age rank.
    CASE
      WHEN i > @N@ - 7000 THEN 'registered'
      WHEN i > @N@ - 22000 THEN 'handling'
      WHEN i > @N@ - 25000 THEN 'rehandling'
      WHEN i > @N@ - 40000 THEN 'resolved'
      WHEN r < 30 THEN 'rejected'
      WHEN r < 40 THEN 'merged'
      WHEN i > @N@ - 250000 THEN 'closed'
      ELSE 'archived' END,
    'email', m, '会员' || m, '会员单位' || m || '有限公司', 'm' || m || '@members.test',
    t, t, t,
    t + 2 * 86400,
    CASE WHEN i <= @N@ - 7000 THEN t + 9 * 86400 END,
    CASE WHEN i > @N@ - 25000 AND i <= @N@ - 22000 THEN t + 12 * 86400 END,
    CASE WHEN i <= @N@ - 7000 THEN t + 86400 END,
    CASE WHEN i <= @N@ - 25000 THEN t + 8 * 86400 END,
    CASE WHEN i <= @N@ - 40000 THEN t + 15 * 86400 END
FROM c;
-- About one open case in ten past its deadline: move deadlines to the past.
UPDATE cases SET review_due = @NOW@ - 86400 * (1 + id % 5)
  WHERE status = 'registered' AND id % 10 = 0;
UPDATE cases SET handling_due = @NOW@ - 86400 * (1 + id % 9)
  WHERE status = 'handling' AND id % 10 = 0;
UPDATE cases SET rehandling_due = @NOW@ - 86400 * (1 + id % 4)
  WHERE status = 'rehandling' AND id % 10 = 0;
-- The open ones not overdue are due in the future.
UPDATE cases SET review_due = @NOW@ + 86400 WHERE status = 'registered' AND id % 10 <> 0;
UPDATE cases SET handling_due = @NOW@ + 5 * 86400 WHERE status = 'handling' AND id % 10 <> 0;
UPDATE cases SET rehandling_due = @NOW@ + 2 * 86400 WHERE status = 'rehandling' AND id % 10 <> 0;

INSERT INTO case_seq (prefix, year, last)
SELECT prefix, year, max(seq) FROM cases GROUP BY prefix, year;

INSERT INTO messages (id, case_id, mailbox, uidvalidity, uid, message_id, sha256, raw,
    subject, from_addr, from_name, date, text, direction, received_at)
SELECT id, id, 'INBOX', 1, id, 'req-' || id || '@members.test', printf('%064d', id),
    CAST('From: m' || member_id || '@members.test' || char(13, 10) || 'Subject: ' || subject ||
        char(13, 10, 13, 10) || text AS BLOB),
    subject, requester_email, requester_name, submitted_at, text, 'in', submitted_at
FROM cases WHERE id > @N@ - 20000;

INSERT INTO case_events (case_id, at, kind, actor, detail, message_id, via)
SELECT id, submitted_at, 'registered', 'system', NULL,
    CASE WHEN id > @N@ - 20000 THEN id END, 'mail' FROM cases WHERE id > @N@ - 100000;
INSERT INTO case_events (case_id, at, kind, actor, detail, via)
SELECT id, submitted_at + 60, 'classified', 'system', 'type=' || type || ' rules', 'system'
FROM cases WHERE id > @N@ - 100000;
INSERT INTO case_events (case_id, at, kind, actor, detail, via)
SELECT id, submitted_at + 86400, 'accepted', 'staff1@chamber.test', NULL, 'mail'
FROM cases WHERE id > @N@ - 100000 AND accepted_at IS NOT NULL;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
