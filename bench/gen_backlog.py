#!/usr/bin/python3
"""Generate a realistic backlog of members' requests for the ingest benchmark.

Writes one file of messages, each preceded by a line with its length in
bytes, plus a members CSV for `memberdesk member import`. Deterministic for
a given --seed, so every run of a benchmark takes in the same bytes.

Mix (by message): Chinese GBK (base64, Foxmail style), Chinese GB2312
quoted-printable, Chinese UTF-8 multipart/alternative with HTML (QQ/NetEase
style), English plain text, a share with attachments (PDF/JPEG/DOCX-sized
random payloads, Chinese file names), and --replies of them replies to a
request earlier in the same backlog: by In-Reply-To/References only, by the
case tag in the subject only, or both. The case tag is predicted from the
order of new requests (the daemon numbers cases in UID order); the benchmark
checks afterwards how many follow-ups the daemon actually filed.
"""
import argparse
import base64
import email.utils
import quopri
import random
import sys
import time

SUBJECTS_ZH = [
    ("关于高新技术企业认定{n}的政策咨询", "policy"),
    ("咨询研发费用加计扣除比例（{n}）", "policy"),
    ("出口退税办理流程咨询{n}", "policy"),
    ("我司货款被拖欠{n}个月，请求商会协调", "rights"),
    ("合同纠纷求助：供应商违约{n}", "rights"),
    ("知识产权被侵权，请求维权帮助{n}", "rights"),
    ("企业融资困难，希望对接银行资源{n}", "difficulty"),
    ("用工紧张，招聘困难求助{n}", "difficulty"),
    ("厂房租金上涨过快，经营困难{n}", "difficulty"),
    ("对商会年会组织的意见建议{n}", "opinion"),
    ("建议增加行业培训活动{n}", "opinion"),
    ("会员服务方面的几点建议{n}", "opinion"),
    ("会费缴纳方式询问{n}", "other"),
    ("请求开具会员证明{n}", "other"),
]
PARAS_ZH = [
    "您好！我公司是贵会的单位会员，主要从事精密机械零部件的加工与出口业务，目前有员工一百二十余人。",
    "今年以来，受原材料价格上涨和海外订单减少的影响，企业经营压力较大，现金流一度十分紧张。",
    "我们注意到今年出台了关于支持中小企业发展的若干措施，但对具体的申报条件、材料清单和办理时限还不太清楚。",
    "去年我们与一家贸易公司签订了供货合同，货物已按期交付并经对方验收，但对方至今仍拖欠货款约八十六万元。",
    "我们多次电话和上门催收未果，对方一直以资金周转困难为由推脱，希望商会能够出面协调。",
    "另外，我们的一项实用新型专利最近发现被同行仿冒，产品在电商平台上公开销售，价格比我们低三成。",
    "希望商会能够组织相关的政策解读会，邀请税务、人社等部门的同志现场答疑，方便会员企业了解政策。",
    "建议商会在官网或公众号上开设专栏，定期发布与会员企业相关的政策信息和办事指南。",
    "如需补充材料，请随时与我联系，我的手机号码是一三八零零零零一二三四，工作日白天均可接听。",
    "此事对我公司影响很大，恳请商会予以重视，尽快给予答复。衷心感谢商会一直以来对会员企业的关心和支持！",
    "附件是相关的合同扫描件和往来邮件截图，供参考。",
    "我们也咨询过律师，律师建议先通过行业组织调解，如调解不成再考虑其他途径。",
]
SUBJECTS_EN = [
    "Question about export tax rebate procedure ({n})",
    "Request for help: overdue payment from a customer ({n})",
    "Suggestion for the annual members' meeting ({n})",
    "Membership certificate request ({n})",
    "Difficulty hiring skilled workers - any programmes? ({n})",
]
PARAS_EN = [
    "Dear Secretariat,",
    "We are a member company in the precision machinery sector with about 120 employees, "
    "most of our revenue comes from exports to Europe.",
    "Since the spring our main customer has delayed payments for three consecutive shipments, "
    "the outstanding amount is now about 860,000 yuan.",
    "We would appreciate any guidance on the new support measures for small and medium-sized "
    "enterprises, in particular the application deadlines and the documents required.",
    "Could the chamber organise a briefing with the tax bureau? Many members have the same "
    "questions about the additional deduction for research and development expenses.",
    "Please find attached the contract and the correspondence for your reference.",
    "Thank you for your support. Kind regards,",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英", "桂英", "建华", "国强", "丽娟"]
UNITS = ["华东精密机械有限公司", "金桥贸易有限公司", "申江电子科技有限公司", "浦江食品有限公司",
         "东方物流股份有限公司", "长三角新材料有限公司", "海纳百川咨询有限公司", "明珠纺织有限公司"]
ATTACH = [("合同扫描件.pdf", "application/pdf"), ("现场照片.jpg", "image/jpeg"),
          ("情况说明.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
          ("invoice.pdf", "application/pdf")]


def b64lines(data):
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def enc_word(text, charset):
    return "=?%s?B?%s?=" % (charset, base64.b64encode(text.encode(charset)).decode())


def rfc2231(name):
    from urllib.parse import quote
    return "filename*=UTF-8''" + quote(name.encode("utf-8"))


class Gen:
    def __init__(self, seed, count, replies, attach_share, year, prefix):
        self.r = random.Random(seed)
        self.count = count
        self.replies = replies
        self.attach_share = attach_share
        self.year = year
        self.prefix = prefix
        self.senders = []
        for i in range(2000):
            name = self.r.choice(SURNAMES) + self.r.choice(GIVEN)
            self.senders.append(("m%04d@members.test" % i, name, self.r.choice(UNITS)))
        self.originals = []   # (message_id, sender index, subject, predicted case number)
        self.now = int(time.time())

    def members_csv(self):
        lines = ["kind,name,unit_name,addresses,phone"]
        for i, (addr, name, unit) in enumerate(self.senders[:600]):
            if i % 3 == 0:
                lines.append("individual,%s,,%s," % (name, addr))
            else:
                lines.append("unit,%s,%s,%s,021-5555-%04d" % (name, unit, addr, i))
        return "\n".join(lines) + "\n"

    def body_zh(self):
        k = self.r.randint(2, 6)
        return "\n\n".join(self.r.sample(PARAS_ZH, k))

    def body_en(self):
        return "\n\n".join([PARAS_EN[0]] + self.r.sample(PARAS_EN[1:-1], 3) + [PARAS_EN[-1]])

    def headers(self, i, sender, subject_hdr, extra):
        addr, name, unit = sender
        date = email.utils.formatdate(self.now - (self.count - i) * 7, localtime=False)
        h = [
            "Return-Path: <%s>" % addr,
            "From: %s <%s>" % (enc_word(name, "UTF-8"), addr),
            "To: chamber@chamber.test",
            "Subject: " + subject_hdr,
            "Date: " + date,
            "Message-ID: <bench-%06d.%d@members.test>" % (i, self.r.randint(0, 1 << 30)),
            "MIME-Version: 1.0",
        ]
        return h + extra

    def text_part(self, kind, body):
        """(content headers, encoded body bytes) for one text part."""
        if kind == "gbk":
            return (["Content-Type: text/plain; charset=\"GBK\"",
                     "Content-Transfer-Encoding: base64"], b64lines(body.encode("gbk")))
        if kind == "gb2312":
            qp = quopri.encodestring(body.encode("gbk")).replace(b"\n", b"\r\n")
            return (["Content-Type: text/plain; charset=gb2312",
                     "Content-Transfer-Encoding: quoted-printable"], qp)
        if kind == "en":
            return (["Content-Type: text/plain; charset=us-ascii",
                     "Content-Transfer-Encoding: 7bit"],
                    body.encode("ascii").replace(b"\n", b"\r\n") + b"\r\n")
        # utf8: multipart/alternative, text and HTML, base64 (QQ Mail style)
        html = "<html><body><div style=\"font-family:微软雅黑\">" + \
            "".join("<p>%s</p>" % p for p in body.split("\n\n")) + "</div></body></html>"
        bd = "----=_NextPart_%08X" % self.r.getrandbits(32)
        parts = [b"--" + bd.encode(),
                 b"Content-Type: text/plain; charset=\"utf-8\"",
                 b"Content-Transfer-Encoding: base64", b"",
                 b64lines(body.encode("utf-8")),
                 b"--" + bd.encode(),
                 b"Content-Type: text/html; charset=\"utf-8\"",
                 b"Content-Transfer-Encoding: base64", b"",
                 b64lines(html.encode("utf-8")),
                 b"--" + bd.encode() + b"--", b""]
        return (["Content-Type: multipart/alternative; boundary=\"%s\"" % bd],
                b"\r\n".join(parts))

    def message(self, i):
        r = self.r
        is_reply = bool(self.originals) and r.random() < self.replies
        kind = r.choices(["gbk", "gb2312", "utf8", "en"], [35, 10, 35, 20])[0]
        extra = []
        if is_reply:
            mid, si, osubj, number = r.choice(self.originals)
            sender = self.senders[si]
            how = r.randrange(3)   # 0: headers only, 1: tag only, 2: both
            if kind == "en":
                body = "Thank you. Any news on this? We can provide more documents."
            else:
                body = "您好，请问这个诉求目前处理到哪一步了？如需补充材料请告知。\n\n谢谢！"
            subj = ("[%s] " % number if how else "") + osubj
            prefix = {"en": "Re: "}.get(kind, r.choice(["回复：", "Re: ", "答复: ", "RE: "]))
            subj_hdr = enc_word(prefix + subj, "GBK" if kind in ("gbk", "gb2312") else "UTF-8")
            if how != 1:
                extra = ["In-Reply-To: " + mid, "References: " + mid]
            # Quoted history below the new text, as clients write it.
            body += "\n\n------------------ 原始邮件 ------------------\n" + \
                "> " + "\n> ".join(self.body_zh().split("\n")) if kind != "en" else \
                "\n\nOn Mon, someone wrote:\n> " + "\n> ".join(self.body_en().split("\n"))
        else:
            si = r.randrange(len(self.senders))
            sender = self.senders[si]
            if kind == "en":
                subj = r.choice(SUBJECTS_EN).format(n=i)
                body = self.body_en()
                subj_hdr = subj
            else:
                subj = r.choice(SUBJECTS_ZH)[0].format(n=i)
                body = self.body_zh() + "\n\n" + sender[2] + " " + sender[1]
                subj_hdr = enc_word(subj, "GBK" if kind in ("gbk", "gb2312") else "UTF-8")
        hdr = self.headers(i, sender, subj_hdr, extra)
        if kind in ("gbk", "gb2312"):
            hdr.append("X-Mailer: Foxmail 7.2.25.228[cn]")
        elif kind == "utf8":
            hdr.append("X-QQ-mid: bench%06d" % i)
        ch, cb = self.text_part(kind, body)
        if not is_reply and r.random() < self.attach_share:
            fname, ctype = r.choice(ATTACH)
            size = int(r.lognormvariate(11.5, 0.8))   # median ~100 KB
            size = max(8_000, min(size, 2_000_000))
            payload = r.randbytes(size)
            bd = "----=_Part_%08X" % r.getrandbits(32)
            hdr.append("Content-Type: multipart/mixed; boundary=\"%s\"" % bd)
            raw = "\r\n".join(hdr).encode() + b"\r\n\r\n" + b"\r\n".join([
                b"This is a multi-part message in MIME format.", b"",
                b"--" + bd.encode(), "\r\n".join(ch).encode(), b"", cb,
                b"--" + bd.encode(),
                ("Content-Type: %s; name=\"%s\"" % (ctype, enc_word(fname, "UTF-8"))).encode(),
                b"Content-Transfer-Encoding: base64",
                ("Content-Disposition: attachment; " + rfc2231(fname)).encode(), b"",
                b64lines(payload), b"--" + bd.encode() + b"--", b""])
        else:
            raw = "\r\n".join(hdr + ch).encode() + b"\r\n\r\n" + cb
        if not is_reply:
            number = "%s-%d-%04d" % (self.prefix, self.year, len(self.originals) + 1)
            mid = [h for h in hdr if h.startswith("Message-ID: ")][0][len("Message-ID: "):]
            self.originals.append((mid, si, subj, number))
        return raw, is_reply


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--replies", type=float, default=0.2)
    ap.add_argument("--attachments", type=float, default=0.06)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--year", type=int, default=int(time.strftime("%Y")))
    ap.add_argument("--prefix", default="MD")
    ap.add_argument("--members", help="write the members CSV here")
    ap.add_argument("out", help="backlog file (length-prefixed messages)")
    a = ap.parse_args()
    g = Gen(a.seed, a.count, a.replies, a.attachments, a.year, a.prefix)
    n_reply = total = 0
    with open(a.out, "wb") as f:
        for i in range(a.count):
            raw, is_reply = g.message(i)
            f.write(b"%d\n" % len(raw))
            f.write(raw)
            n_reply += is_reply
            total += len(raw)
    if a.members:
        with open(a.members, "w") as f:
            f.write(g.members_csv())
    print("%d messages, %d replies, %d new requests, %.1f MB" %
          (a.count, n_reply, a.count - n_reply, total / 1e6))


if __name__ == "__main__":
    sys.exit(main())
