"""Objections from the phone (issue 20, "heard when they object"): raised by a villager on a dividend list, a job's
selected list or a decision while it is posted (公示), and a question on a disclosure line; the answer's deadline
from ``objections.answer_days``; public in count, private in author; the township told once overdue; the answer
pushed to the one who raised it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from backend import disclosures
from backend.core.clock import SHANGHAI, today
from backend.core.db import db
from backend.core.printing.figures import short_code
from backend.decisions.pipeline.models import DecisionObjection
from backend.disclosures.models import DisclosureQuestion
from backend.dividends.models import DividendObjection
from backend.notices.models import PushJob
from backend.registry import Member, Person, settings
from tests.decisions.pipeline.test_pipeline import create, through_resolution
from tests.dividends.test_dividend_publish import _published
from tests.notices.conftest import bind
from tests.township.test_warnings import publish_q1

API = "/api/v1"


def noon(d: date) -> datetime:
    return datetime.combine(d, time(12), SHANGHAI).astimezone(UTC)


def count(model) -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def warnings_of(client, make, township, kind="objection_overdue"):
    staff = make.staff(township, "郑雯")
    db.session.commit()
    r = client.get(f"{API}/townships/{township.id}/warnings", headers=make.headers(staff))
    assert r.status_code == 200, r.json
    return [x for x in r.json if x["kind"] == kind] if isinstance(r.json, list) else \
        [x for x in r.json["items"] if x["kind"] == kind]


def pushes(kind: str) -> list[tuple[int, int]]:
    db.session.expire_all()
    return [(j.object_id, j.person_id) for j in db.session.execute(
        select(PushJob).where(PushJob.kind == kind).order_by(PushJob.id)).scalars()]


# ---------------------------------------------------------------- dividends


def test_a_dividend_objection_is_due_after_the_villages_setting_and_overdue_only_the_day_after(
        client, make, books, now):
    settings.put("objections.answer_days", 3, actor=None, village=books.village)
    db.session.commit()
    did = _published(client, make, books)
    asker = books.members[1][1]
    raised = today()
    r = client.post(f"{API}/distributions/{did}/objections", json={"text": "  劳龄股算少了  "},
                    headers=make.headers(asker))
    assert r.status_code == 201, r.json
    assert r.json["due_on"] == (raised + timedelta(days=3)).isoformat() and r.json["overdue"] is False
    assert db.session.get(DividendObjection, r.json["id"]).text == "劳龄股算少了"  # trimmed

    now[0] = noon(raised + timedelta(days=3))  # the due date itself: not overdue yet
    me = client.get(f"{API}/me/dividends/{did}", headers=make.headers(asker)).json
    assert me["my_objections"][0]["overdue"] is False
    assert me["objection_counts"] == {"count": 1, "answered": 0, "overdue": 0}
    assert warnings_of(client, make, books.village.township) == []

    now[0] = noon(raised + timedelta(days=4))  # the day after: overdue, and the township sees it
    me = client.get(f"{API}/me/dividends/{did}", headers=make.headers(asker)).json
    assert me["my_objections"][0]["overdue"] is True
    assert me["objection_counts"] == {"count": 1, "answered": 0, "overdue": 1}
    (x,) = warnings_of(client, make, books.village.township)
    assert x["id"] == f"objection_overdue:dividend-{r.json['id']}"
    assert x["since"] == (raised + timedelta(days=4)).isoformat()
    assert x["link"] == {"type": "distribution", "id": did, "village_id": books.village.id}
    assert "临江村" in x["message"] and "分红名单" in x["message"] and "已逾期1天未答复" in x["message"]

    r = client.post(f"{API}/dividend-objections/{r.json['id']}/answer", json={"answer": "已核对，无误"},
                    headers=make.headers(books.secretary))
    assert r.status_code == 200
    assert warnings_of(client, make, books.village.township) == []


def test_an_objection_on_a_list_since_cancelled_no_longer_reaches_the_township(client, make, books, now):
    did = _published(client, make, books)
    raised = today()
    client.post(f"{API}/distributions/{did}/objections", json={"text": "少了"}, headers=make.headers(books.villager))
    now[0] = noon(raised + timedelta(days=8))
    assert len(warnings_of(client, make, books.village.township)) == 1
    r = client.post(f"{API}/distributions/{did}/cancel", json={"reason": "方案有误，重新计算"},
                    headers=make.headers(books.secretary))
    assert r.status_code == 200, r.json
    assert warnings_of(client, make, books.village.township) == []


def test_a_dividend_objection_default_deadline_is_the_disclosure_questions_seven_days(client, make, books):
    did = _published(client, make, books)
    r = client.post(f"{API}/distributions/{did}/objections", json={"text": "少了"},
                    headers=make.headers(books.villager))
    assert r.json["due_on"] == (today() + timedelta(days=7)).isoformat()


def test_dividend_objection_text_is_one_to_five_hundred_characters(client, make, books):
    did = _published(client, make, books)
    url, h = f"{API}/distributions/{did}/objections", make.headers(books.villager)
    before = count(DividendObjection)
    for text in ("", "   ", "字" * 501):
        r = client.post(url, json={"text": text}, headers=h)
        assert r.status_code == 422, text
        assert any("\u4e00" <= ch <= "\u9fff" for ch in json.dumps(r.json, ensure_ascii=False))
    assert count(DividendObjection) == before
    assert client.post(url, json={"text": "字" * 500}, headers=h).status_code == 201


def test_outside_the_dividend_publicity_the_refusal_names_the_window(client, make, books, now):
    did = _published(client, make, books)
    until = date.fromisoformat(client.get(f"{API}/distributions/{did}", headers=make.headers(books.villager))
                               .json["publicity_until"])
    now[0] = noon(until + timedelta(days=1))
    r = client.post(f"{API}/distributions/{did}/objections", json={"text": "晚了"},
                    headers=make.headers(books.villager))
    assert r.status_code == 409 and until.isoformat() in r.json["error"]["message"]


def test_dividend_objections_public_in_count_private_in_author(client, make, books):
    did = _published(client, make, books)
    author, other = books.members[1][1], books.members[2][0]
    oid = client.post(f"{API}/distributions/{did}/objections", json={"text": "我家劳龄股少算了一股"},
                      headers=make.headers(author)).json["id"]

    seen = client.get(f"{API}/distributions/{did}", headers=make.headers(other)).json
    assert seen["objection_counts"] == {"count": 1, "answered": 0, "overdue": 0}
    assert seen["objections"] == [] and seen["my_objections"] == []
    body = json.dumps(seen, ensure_ascii=False)
    assert "张21" not in body and "张*1" not in body and "少算了一股" not in body
    statement = client.get(f"{API}/me/dividends/{did}", headers=make.headers(other)).json
    assert statement["objection_counts"]["count"] == 1 and statement["my_objections"] == []
    assert statement["in_publicity"] is True

    mine = client.get(f"{API}/me/dividends/{did}", headers=make.headers(author)).json["my_objections"]
    assert [(o["id"], o["text"], o["answer"], o["overdue"]) for o in mine] == [
        (oid, "我家劳龄股少算了一股", None, False)]
    assert "raised_by" not in mine[0]

    staff = client.get(f"{API}/distributions/{did}", headers=make.headers(books.secretary)).json["objections"]
    assert [(o["raised_by"], o["text"]) for o in staff] == [("张21", "我家劳龄股少算了一股")]

    stranger = make.member(make.village("XZ02", "新竹村"), "吴强")
    db.session.commit()
    assert client.get(f"{API}/distributions/{did}", headers=make.headers(stranger)).status_code in (403, 404)


def test_the_answer_is_pushed_once_to_the_author_only(client, make, books):
    did = _published(client, make, books)
    author, other = books.members[1][1], books.members[2][0]
    for i, m in enumerate((author, other)):
        bind(m.person_id, f"openid-{i}")
    db.session.commit()
    oid = client.post(f"{API}/distributions/{did}/objections", json={"text": "少了"},
                      headers=make.headers(author)).json["id"]
    client.post(f"{API}/distributions/{did}/objections", json={"text": "也少了"}, headers=make.headers(other))
    assert pushes("answer_dividend") == []
    sec = make.headers(books.secretary)
    assert client.post(f"{API}/dividend-objections/{oid}/answer", json={"answer": "已核对"}, headers=sec).status_code \
        == 200
    assert client.post(f"{API}/dividend-objections/{oid}/answer", json={"answer": "再答"}, headers=sec).status_code \
        == 409
    assert pushes("answer_dividend") == [(oid, author.person_id)]
    job = db.session.execute(select(PushJob).where(PushJob.kind == "answer_dividend")).scalar_one()
    assert job.page == f"pages/dividend/dividend?id={did}" and "已核对" in job.data


# ---------------------------------------------------------------- jobs


def test_job_objections_only_during_the_publicity_of_the_selected_list(jobs):
    pid = jobs.posting()
    people = [jobs.villager(f"村民{i}") for i in range(3)]
    jobs.applied(pid, *people)
    url = f"{API}/job-postings/{pid}/objections"
    r = jobs.client.post(url, json={"text": "还在报名"}, headers=jobs.h(people[0]))
    assert r.status_code == 409 and r.json["error"]["code"] == "job.not_in_publicity"
    d = jobs.drawn(pid)
    until = date.fromisoformat(d["publicity_until"])
    assert jobs.detail(pid, people[0])["in_publicity"] is True
    jobs.at(noon(until))  # the last day of the 公示
    r = jobs.client.post(url, json={"text": "抽签不公"}, headers=jobs.h(people[0]))
    assert r.status_code == 201, r.json
    assert r.json["due_on"] == (until + timedelta(days=7)).isoformat()
    jobs.at(noon(until + timedelta(days=1)))
    r = jobs.client.post(url, json={"text": "过期了"}, headers=jobs.h(people[1]))
    assert r.status_code == 409 and until.isoformat() in r.json["error"]["message"]
    assert jobs.detail(pid, people[1])["in_publicity"] is False


def test_job_objections_private_in_author_and_answer_pushed_to_the_author(jobs):
    pid = jobs.posting()
    people = [jobs.villager(f"村民{i}") for i in range(3)]
    jobs.applied(pid, *people)
    jobs.drawn(pid)
    for i, m in enumerate(people):
        bind(m.person_id, f"job-openid-{i}")
    db.session.commit()
    oid = jobs.client.post(f"{API}/job-postings/{pid}/objections", json={"text": "村民0的异议"},
                           headers=jobs.h(people[0])).json["id"]
    other = jobs.detail(pid, people[1])
    assert other["objection_counts"] == {"count": 1, "answered": 0, "overdue": 0}
    assert other["objections"] == [] and other["my_objections"] == []
    assert "村民0的异议" not in json.dumps(other, ensure_ascii=False)
    own = jobs.detail(pid, people[0])
    assert [o["text"] for o in own["my_objections"]] == ["村民0的异议"]
    assert [o["raised_by"] for o in jobs.detail(pid)["objections"]] == ["村民0"]  # staff: the name

    r = jobs.client.post(f"{API}/job-objections/{oid}/answer", json={"answer": "抽签公开，结果有效"},
                         headers=jobs.sec())
    assert r.status_code == 200
    assert pushes("answer_job") == [(oid, people[0].person_id)]
    assert jobs.detail(pid, people[0])["my_objections"][0]["answer"] == "抽签公开，结果有效"
    assert jobs.detail(pid, people[1])["objection_counts"] == {"count": 1, "answered": 1, "overdue": 0}


# ---------------------------------------------------------------- decisions


def _in_publicity(client, make, w, days=3):
    did = create(client, make, w)["id"]
    settings.put("decisions.publicity_days.决议公开", days, actor=None, village=w["v"])
    db.session.commit()
    through_resolution(client, make, w, did)
    return did


def test_a_villager_objects_to_a_decision_only_within_its_publicity_window(client, make, w, now):
    did = _in_publicity(client, make, w)
    url, h = f"{API}/decisions/{did}/my-objections", make.headers(w["plain"])
    r = client.post(url, json={"text": "不同意"}, headers=h)  # at 决议: no 公示 yet
    assert r.status_code == 409 and r.json["error"]["code"] == "decision.publicity_not_open"
    assert "公示" in r.json["error"]["message"]
    assert client.get(f"{API}/decisions/{did}", headers=h).json["objection_window"] is None

    start = today()
    r = client.post(f"{API}/decisions/{did}/publicity", json={"stage": "决议公开"}, headers=make.headers(w["sec"]))
    assert r.status_code == 201, r.json
    end = start + timedelta(days=3)
    window = client.get(f"{API}/decisions/{did}", headers=h).json["objection_window"]
    assert window == {"stage": "决议公开", "start_on": start.isoformat(), "end_on": end.isoformat(), "open": True}
    r = client.post(url, json={"text": "第一天提出"}, headers=h)  # the first day
    assert r.status_code == 201, r.json
    assert r.json["due_on"] == (start + timedelta(days=7)).isoformat()
    now[0] = noon(end)  # the last day, included
    h = make.headers(w["plain"])
    assert client.post(url, json={"text": "最后一天提出"}, headers=h).status_code == 201
    now[0] = noon(end + timedelta(days=1))
    h = make.headers(w["plain"])
    before = count(DecisionObjection)
    r = client.post(url, json={"text": "晚了一天"}, headers=h)
    assert r.status_code == 409 and r.json["error"]["code"] == "decision.objection_out_of_period"
    assert start.isoformat() in r.json["error"]["message"] and end.isoformat() in r.json["error"]["message"]
    assert count(DecisionObjection) == before
    assert client.get(f"{API}/decisions/{did}", headers=h).json["objection_window"]["open"] is False

    r = client.post(url, json={"text": "   "}, headers=h)
    assert r.status_code == 422


def test_another_villages_people_cannot_object_to_a_decision(client, make, w):
    did = _in_publicity(client, make, w)
    client.post(f"{API}/decisions/{did}/publicity", json={"stage": "决议公开"}, headers=make.headers(w["sec"]))
    before = count(DecisionObjection)
    r = client.post(f"{API}/decisions/{did}/my-objections", json={"text": "外村的"},
                    headers=make.headers(w["stranger"]))
    assert r.status_code in (403, 404)
    assert count(DecisionObjection) == before


def test_decision_objections_private_in_author_escalated_when_overdue_and_answered_by_push(client, make, w, now):
    did = _in_publicity(client, make, w)
    sec = make.headers(w["sec"])
    client.post(f"{API}/decisions/{did}/publicity", json={"stage": "决议公开"}, headers=sec)
    author, other = w["plain"], w["reps"][0]
    bind(author.person_id, "dec-openid-a")
    bind(other.person_id, "dec-openid-b")
    db.session.commit()
    raised = today()
    r = client.post(f"{API}/decisions/{did}/my-objections", json={"text": "工程预算太高"}, headers=make.headers(author))
    oid = r.json["id"]

    def publicity_of(who):
        d = client.get(f"{API}/decisions/{did}", headers=make.headers(who)).json
        return next(s for s in d["stages"] if s["stage"] == "决议公开")["result"]["publicity"]

    seen = publicity_of(other)
    assert seen["objections"] == [] and seen["my_objections"] == []
    assert seen["objection_counts"] == {"count": 1, "answered": 0, "overdue": 0}
    assert "工程预算太高" not in json.dumps(seen, ensure_ascii=False)
    assert [o["text"] for o in publicity_of(author)["my_objections"]] == ["工程预算太高"]
    staff = publicity_of(w["sec"])["objections"]
    assert [(o["raised_by"], o["text"]) for o in staff] == [("张大山", "工程预算太高")]

    now[0] = noon(raised + timedelta(days=7))
    assert warnings_of(client, make, w["v"].township) == []
    now[0] = noon(raised + timedelta(days=9))
    (x,) = warnings_of(client, make, w["v"].township)
    assert x["id"] == f"objection_overdue:decision-{oid}" and "已逾期2天未答复" in x["message"]
    assert "村道硬化工程" in x["message"]
    assert publicity_of(author)["my_objections"][0]["overdue"] is True

    r = client.post(f"{API}/decision-objections/{oid}/answer", json={"answer": "预算已经镇里审核"},
                    headers=make.headers(w["sec"]))
    assert r.status_code == 200, r.json
    assert warnings_of(client, make, w["v"].township) == []
    assert pushes("answer_decision") == [(oid, author.person_id)]


# ---------------------------------------------------------------- disclosures


def _published_disclosure(make, now):
    now[0] = datetime(2026, 4, 4, 2, 0, tzinfo=UTC)
    qs = make.township("QS", "青山镇")
    a = make.village("A01", "甲村", township=qs)
    acc = make.member(a, "李秀英", roles=("accountant",))
    sup = make.member(a, "孙立平", roles=("supervisor",))
    v1, v2 = make.member(a, "张一"), make.member(a, "张二")
    d = publish_q1(make, a, acc, sup)
    db.session.commit()
    return d, acc, v1, v2


def test_a_question_names_one_of_the_disclosures_lines(client, make, now):
    d, _, v1, _ = _published_disclosure(make, now)
    n = len(d.content_data()["lines"])
    url, h = f"{API}/disclosures/{d.id}/questions", make.headers(v1)
    for line in (0, n + 1):
        r = client.post(url, json={"line_no": line, "text": "这笔是什么？"}, headers=h)
        assert r.status_code == 422, r.json
        if line:
            assert r.json["error"]["message"] == f"没有第{line}笔，本次公开共{n}笔"
    r = client.post(url, json={"line_no": 1, "text": "  "}, headers=h)
    assert r.status_code == 422
    r = client.post(url, json={"line_no": n, "text": "这笔是什么？"}, headers=h)
    assert r.status_code == 201 and r.json["line_no"] == n


def test_the_disclosure_shows_the_papers_short_code_and_questions_privately(client, make, now):
    d, acc, v1, v2 = _published_disclosure(make, now)
    bind(v1.person_id, "dq-openid-1")
    bind(v2.person_id, "dq-openid-2")
    db.session.commit()
    body = client.get(f"{API}/disclosures/{d.id}", headers=make.headers(v2)).json
    assert body["seal_short_code"] == short_code(body["seal"]) and len(body["seal_short_code"]) == 9
    assert body["question_counts"] == {"count": 0, "answered": 0, "overdue": 0}

    q = client.post(f"{API}/disclosures/{d.id}/questions", json={"line_no": 1, "text": "张一想问这笔"},
                    headers=make.headers(v1)).json
    other = client.get(f"{API}/disclosures/{d.id}", headers=make.headers(v2)).json
    assert other["questions"] == [] and other["question_counts"] == {"count": 1, "answered": 0, "overdue": 0}
    assert "张一想问这笔" not in json.dumps(other, ensure_ascii=False)
    own = client.get(f"{API}/disclosures/{d.id}", headers=make.headers(v1)).json
    assert [x["text"] for x in own["questions"]] == ["张一想问这笔"]
    assert [x["text"] for x in client.get(f"{API}/disclosures/{d.id}", headers=make.headers(acc)).json["questions"]] \
        == ["张一想问这笔"]
    # the supervision committee, who signed it off and watch that every question is answered, sees them all too
    sup = db.session.execute(select(Member).join(Person).where(Person.name == "孙立平")).scalar_one()
    assert [x["text"] for x in client.get(f"{API}/disclosures/{d.id}", headers=make.headers(sup)).json["questions"]] \
        == ["张一想问这笔"]

    disclosures.answer(db.session.get(DisclosureQuestion, q["id"]), "是村东头那块。", actor=make.principal(acc))
    db.session.commit()
    assert pushes("answer_question") == [(q["id"], v1.person_id)]
