"""Story clusters: MinHash LSH over plain mappings (the worker uses faust tables)."""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone
from pathlib import Path

from services.enrichment.clustering import cluster_story
from services.enrichment.nlp.clusters import (BANDS, ROWS, StoryIndex, bucket_keys, cluster_id_for, shingles, signature,
                                              similarity)
from tests.unit.enrichment.samples import TOPICS
from tests.unit.shared.test_events import sample_event

EXAMPLE = (Path(__file__).parents[2] / "fixtures" / "korea-daily-2024-12-18.txt").read_text(encoding="utf-8")
EDITED = EXAMPLE.replace("imminent", "likely soon").replace("significantly", "sharply").replace(
    "A South Korean", "One South Korean")
DAY = 86400.0
# Short stories in scripts written without spaces between words, each with a copy
# carrying two small edits, and another story on a similar subject.
UNSPACED = {
    "zh": ("国务院总理周二在北京主持召开常务会议，研究部署进一步扩大内需的措施。会议指出，今年以来经济运行总体平稳，"
           "但外部环境依然复杂严峻。会议决定加大对中小企业的金融支持力度，并推出一批重大基础设施项目，"
           "以稳定就业和促进消费。各地方政府需尽快落实相关政策。\n\n"
           "会议还听取了关于防汛抗旱工作的汇报，要求有关部门加强监测预警，做好应急物资储备，确保人民群众生命财产安全。",
           ("周二", "周三"), ("一批重大", "多项重大"),
           "中国人民银行周五宣布下调金融机构存款准备金率零点五个百分点，释放长期资金约一万亿元。"
           "央行表示，此举旨在保持流动性合理充裕，降低企业融资成本，支持实体经济发展。"),
    "ja": ("政府は十八日の臨時閣議で、一般会計の総額が過去最大となる来年度予算案を決定しました。"
           "防衛費や少子化対策の費用が大きく膨らみ、国債の新規発行額も増える見通しです。"
           "財務大臣は記者会見で、財政の健全化も同時に進めていくと述べました。\n\n"
           "野党は、歳出の拡大に見合う財源の確保が不十分だとして、国会で政府の姿勢をただす方針です。",
           ("十八日", "十九日"), ("過去最大", "過去最高"),
           "日本銀行は十九日の金融政策決定会合で、短期金利の誘導目標を引き上げることを決めました。"
           "物価の上昇が続いていることから、大規模な金融緩和の修正をさらに進める形です。"),
    "th": ("รัฐบาลไทยประกาศมาตรการใหม่เพื่อช่วยเหลือเกษตรกรที่ได้รับผลกระทบจากภัยแล้ง "
           "นายกรัฐมนตรีกล่าวว่ารัฐบาลจะจัดสรรงบประมาณเพิ่มเติมให้แก่จังหวัดทางภาคตะวันออกเฉียงเหนือ "
           "เกษตรกรหลายพันครอบครัวจะได้รับเงินชดเชยภายในสิ้นเดือนนี้ "
           "ฝ่ายค้านวิจารณ์ว่ามาตรการดังกล่าวล่าช้าเกินไปและไม่เพียงพอ",
           ("หลายพัน", "หลายหมื่น"), ("ล่าช้าเกินไป", "ช้าเกินไป"),
           "ธนาคารแห่งประเทศไทยมีมติคงอัตราดอกเบี้ยนโยบายไว้ที่ระดับเดิม "
           "เนื่องจากเศรษฐกิจยังฟื้นตัวไม่เต็มที่และอัตราเงินเฟ้ออยู่ในระดับต่ำ"),
}


def index(horizon_s: float = 7 * DAY) -> StoryIndex:
    return StoryIndex({}, {}, horizon_s=horizon_s)


def keys(text: str) -> list[str]:
    return bucket_keys(signature(text))


def test_parameters_and_similarity():
    assert BANDS * ROWS <= 128
    assert similarity(EXAMPLE, EDITED) > 0.85
    assert similarity(EXAMPLE, TOPICS["15000000"][1]) < 0.1
    assert signature(EXAMPLE).tolist() == signature(EXAMPLE).tolist()  # seeded: stable across processes


def test_copies_share_a_cluster_named_after_the_first_story():
    stories = index()
    first = stories.assign("urn:a:1", keys(EXAMPLE), 1000.0)
    assert first.cluster == cluster_id_for("urn:a:1") and first.first_seen
    copy = stories.assign("urn:b:7", keys(EDITED), 1010.0)
    assert copy.cluster == first.cluster and copy.first_seen and copy.matched_buckets >= 1
    other = stories.assign("urn:a:2", keys(" ".join(TOPICS["15000000"])), 1020.0)
    assert other.cluster == cluster_id_for("urn:a:2")


def test_a_cluster_id_cannot_be_confirmed_from_a_guessed_uri_without_the_deployments_key():
    """A reader sees the cluster id on every member it may read; the founder may be a story
    it may not read (another provider's, or under embargo). A plain digest of the uri let
    it confirm a guessed uri offline; the id is keyed with the deployment's secret."""
    uri = "urn:newsml:example.com:20261204:embargoed-results"
    founded = StoryIndex({}, {}, horizon_s=DAY, secret_key="deployment-key").assign(uri, keys(EXAMPLE), 0.0)
    assert founded.cluster == cluster_id_for(uri, "deployment-key")  # deterministic: a re-delivery agrees
    assert founded.cluster != cluster_id_for(uri, "another-key") != cluster_id_for(uri)
    assert founded.cluster != "c" + hashlib.sha256(f"story-cluster:{uri}".encode()).hexdigest()[:19]  # the old id
    # a cluster keeps the id it was founded with, whatever key a later worker has
    members = {}
    StoryIndex(members, {}, horizon_s=DAY).assign(uri, keys(EXAMPLE), 0.0)
    rekeyed = StoryIndex(members, {}, horizon_s=DAY, secret_key="deployment-key")
    rekeyed.recovered()
    assert rekeyed.assign("urn:b:1", keys(EDITED), 10.0).cluster == cluster_id_for(uri)


def test_assigning_again_is_idempotent_and_versions_keep_their_cluster():
    stories = index()
    founded = stories.assign("urn:a:1", keys(EXAMPLE), 1000.0).cluster
    again = stories.assign("urn:a:1", keys(EXAMPLE), 1000.0)
    assert again.cluster == founded and not again.first_seen
    rewritten = stories.assign("urn:a:1", keys(" ".join(TOPICS["02000000"])), 2000.0)  # a new version
    assert rewritten.cluster == founded


def test_old_stories_stop_attracting_copies_and_are_evicted():
    stories = index(horizon_s=DAY)
    stories.assign("urn:a:1", keys(EXAMPLE), 0.0)
    late = stories.assign("urn:b:1", keys(EDITED), 2 * DAY)
    assert late.cluster == cluster_id_for("urn:b:1")
    assert "urn:a:1" not in stories.members
    assert all(cluster != cluster_id_for("urn:a:1") for cluster, _ in stories.buckets.values())


def test_eviction_resumes_from_recovered_state():
    members, buckets = {}, {}
    StoryIndex(members, buckets, horizon_s=DAY).assign("urn:a:1", keys(EXAMPLE), 0.0)
    restarted = StoryIndex(members, buckets, horizon_s=DAY)
    restarted.recovered()
    restarted.assign("urn:c:1", keys(" ".join(TOPICS["07000000"])), 3 * DAY)
    assert set(members) == {"urn:c:1"}


def test_cluster_story_notes_the_cluster_in_the_envelope():
    event = sample_event()
    event.article.bodies[0].value = EXAMPLE
    stories = index()
    cluster_story(event, stories)
    assert event.envelope.enrichment["storyCluster"]["id"] == cluster_id_for(event.article.uri) != event.envelope.article_id
    assert stories.members[event.article.uri]["at"] == datetime(2024, 12, 18, tzinfo=timezone.utc).timestamp()


async def test_the_read_step_sends_the_bucket_keys_the_stories_step_would_work_out():
    from aiokafka import ConsumerRecord

    from services.enrichment.clustering import buckets_sent, story_buckets
    from services.enrichment.read_step import read_step
    from shared.codec import decode, encode
    from shared.events import ArticleEvent

    event = sample_event()
    event.article.bodies[0].value = EXAMPLE
    value = encode(event)
    [out] = await read_step("t.enrichment.stories")(ConsumerRecord("t.articles.ingested", 0, 7, 0, 0, b"k", value,
                                                                   None, 1, len(value), []))
    sent = buckets_sent(out.headers)
    enriched = decode(ArticleEvent, out.value)
    assert sent == story_buckets(enriched.article) and len(sent) == BANDS
    assert buckets_sent([]) is None  # a record from before: the stories step works them out
    here, there = decode(ArticleEvent, out.value), decode(ArticleEvent, out.value)
    cluster_story(here, index(), sent)
    cluster_story(there, index())
    assert here.envelope.enrichment["storyCluster"] == there.envelope.enrichment["storyCluster"]


def jaccard(a: str, b: str) -> float:
    return len(shingles(a) & shingles(b)) / len(shingles(a) | shingles(b))


def test_near_copies_in_scripts_without_spaces_share_a_cluster():
    for language, (story, (a, b), (c, d), other) in UNSPACED.items():
        corrected = story.replace(a, b)
        edited = corrected.replace(c, d)
        assert story != corrected != edited
        # Was under 0.1: each clause was one "word", so any edit changed all its shingles.
        assert jaccard(story, edited) > 0.8 and similarity(story, edited) > 0.7, language
        assert jaccard(story, other) < 0.05 and similarity(story, other) < 0.2, language
        # Two edits in a story this short are at the LSH threshold (a hit is likely, not
        # certain, in any language); a one-edit correction is well above it.
        stories = index()
        first = stories.assign(f"urn:{language}:1", keys(story), 1000.0)
        assert stories.assign(f"urn:{language}:2", keys(corrected), 1010.0).cluster == first.cluster, language
        assert stories.assign(f"urn:{language}:3", keys(other), 1020.0).cluster != first.cluster, language


def test_space_separated_text_keeps_its_shingles_and_bucket_keys():
    # Bucket keys are stored in the story tables: a tokeniser change that moved the keys of
    # space-separated text would stop copies arriving after a deploy from finding their story.
    for text in (EXAMPLE, "Don’t stop: 1,000 co-workers’ votes in São Paulo_2024 — “fine”.",
                 "भारत के प्रधानमंत्री ने नई दिल्ली में एक बैठक की।", "Правительство объявило о новых мерах."):
        words = re.findall(r"\w+", text.casefold())
        assert shingles(text) == {" ".join(words[i:i + 5]).encode() for i in range(len(words) - 4)}
    digest = hashlib.sha256(",".join(keys(EXAMPLE)).encode()).hexdigest()[:16]
    assert digest == "6e696bb5a8caf793"  # the keys as stored before character shingles were added


def test_the_bucket_index_is_rebuilt_from_the_members_as_it_was():
    """Only the members are durable: after a restart the index rebuilt from them is
    the one the worker had, whatever the writes' order — a copy refreshing its
    cluster's buckets, an expired bucket taken by a new story, a story re-sent with
    new text (its older buckets still its own)."""
    members, buckets = {}, {}
    live = StoryIndex(members, buckets, horizon_s=DAY)
    live.assign("urn:x:1", keys(" ".join(TOPICS["07000000"])), 0.0)
    live.assign("urn:a:1", keys(EXAMPLE), 0.8 * DAY)
    live.assign("urn:b:1", keys(EDITED), 0.9 * DAY)  # joins a:1's cluster, refreshes the buckets they share
    live.assign("urn:y:1", keys(" ".join(TOPICS["07000000"])), 1.2 * DAY)  # x:1's buckets expired: y:1 takes them
    live.assign("urn:d:1", keys(" ".join(TOPICS["15000000"])), 1.6 * DAY)
    live.assign("urn:d:1", keys(" ".join(TOPICS["04000000"])), 1.7 * DAY)  # a new version, new text
    live.assign("urn:d:1", keys(" ".join(TOPICS["15000000"])), 1.65 * DAY)  # an old version again
    assert buckets and all("wrote" in entry for entry in members.values())

    before = dict(buckets)
    restarted = StoryIndex(members, {}, horizon_s=DAY)
    restarted.recovered()
    live_entries = {k: (cluster, at) for k, (cluster, at) in before.items() if 1.7 * DAY - at <= DAY}
    assert restarted.buckets == live_entries
    # and it answers as the live index does
    for n, text in enumerate((EDITED, " ".join(TOPICS["04000000"]), " ".join(TOPICS["07000000"]))):
        uri = f"urn:z:{n}"
        assert restarted.assign(uri, keys(text), 1.8 * DAY).cluster == live.assign(uri, keys(text), 1.8 * DAY).cluster


def test_a_story_re_sent_with_new_text_many_times_keeps_every_version_s_buckets_through_a_rebuild():
    """A developing story's versions each fill buckets of their own; a copy of its first
    version must still find it after a rebuild (a rebalance is enough for one)."""
    from services.cli.synthetic import synthetic_article

    members, buckets = {}, {}
    live = StoryIndex(members, buckets, horizon_s=DAY)
    versions = [synthetic_article(n, words=120) for n in range(12)]
    for n, text in enumerate(versions):
        live.assign("urn:a:1", keys(text), 1000.0 + n)
    restarted = StoryIndex(members, {}, horizon_s=DAY)
    restarted.recovered()
    assert restarted.buckets == buckets
    founded = members["urn:a:1"]["cluster"]
    assert restarted.assign("urn:b:1", keys(versions[0]), 2000.0).cluster == founded


def test_buckets_written_by_the_version_before_are_read_at_a_rebuild_and_emptied_as_they_expire():
    """After an upgrade the old bucket table (its own changelog) still finds its stories."""
    written: dict = {}
    old = StoryIndex({}, written, horizon_s=DAY)
    founded = old.assign("urn:a:1", keys(EXAMPLE), 0.0).cluster
    members = {uri: {"cluster": entry["cluster"], "at": entry["at"]} for uri, entry in old.members.items()}
    # the version before kept its buckets in a table of their own, as JSON objects
    legacy = {key: {"cluster": cluster, "at": at} for key, (cluster, at) in written.items()}

    upgraded = StoryIndex(members, {}, horizon_s=DAY, legacy=legacy)
    upgraded.recovered()
    assert upgraded.assign("urn:b:1", keys(EDITED), 100.0).cluster == founded
    again = StoryIndex(members, {}, horizon_s=DAY, legacy=legacy)  # a second rebuild still has them
    again.recovered()
    assert again.assign("urn:c:1", keys(EDITED), 200.0).cluster == founded
    again.assign("urn:d:1", keys(" ".join(TOPICS["07000000"])), 2 * DAY)
    assert not legacy  # expired, and deleted from the old table


def test_a_text_of_more_shingles_than_one_chunk_has_the_signature_of_all_of_them_hashed_at_once():
    """The signature is hashed in chunks (memory stays bounded for a 5 MB body); the
    minimum over the chunks, the last partial one included, is the whole text's."""
    from datasketch import MinHash

    from services.enrichment.nlp.clusters import NUM_PERM, SIGNATURE_CHUNK, shingles, signature

    text = " ".join(f"w{i}" for i in range(SIGNATURE_CHUNK * 2 + 5_000))
    assert SIGNATURE_CHUNK * 2 < len(shingles(text)) < SIGNATURE_CHUNK * 3
    whole = MinHash(num_perm=NUM_PERM, seed=1)
    whole.update_batch(list(shingles(text)))
    assert (signature(text) == whole.hashvalues).all()
