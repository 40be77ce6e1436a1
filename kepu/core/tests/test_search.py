"""The shared search module: segmentation, both databases' indexes, tags, ranking, the fallback."""

import pytest
from django.db import connection

from kepu.core import search
from kepu.core.search import NGRAMS, Document, SearchIndex

pytestmark = pytest.mark.django_db


@pytest.fixture
def index():
    idx = SearchIndex("testdocs")
    with connection.cursor() as cursor:
        for sql in search._create_sql(connection.vendor, "testdocs"):
            cursor.execute(sql)
    idx.upsert(
        [
            Document(1, "老年人如何识破保健品骗局", "推销员上门送鸡蛋，再高价卖保健品。", {"topic": "anti_fraud"}),
            Document(
                2, "夏季防溺水安全提示", "不要私自下水游泳，发现有人溺水要呼救。", {"topic": "safety", "kind": "video"}
            ),
            Document(3, "天宫空间站的一天", "航天员在空间站里怎样吃饭睡觉。", {"topic": "astronomy", "kind": "video"}),
            Document(4, "家庭用药安全", "保健品不能代替药品，买药看清批准文号。", {"topic": "health"}),
            Document(5, "暴雨内涝时如何自救", "积水漫过膝盖不要涉水，远离电线杆。", {"topic": "safety"}),
        ]
    )
    return idx


def test_words_are_segmented_with_the_domain_dictionary():
    assert "心肺复苏" in search.tokens("学会心肺复苏，关键时刻能救命")
    # A query is cut precisely, stop words dropped; full-width letters are the same word.
    assert search.tokens("老年人怎么防范电信诈骗？", query=True) == ["老年人", "防范", "电信诈骗"]
    assert search.tokens("ＡＩ", query=True) == ["ai"]


def test_every_word_must_match_and_the_title_ranks_first(index):
    assert index.search("保健品").ids == [1, 4]  # in 1's title, in 4's text
    assert index.search("保健品 药品").ids == [4]


def test_a_compound_query_word_also_finds_its_parts(index):
    # 保健品骗局 is one word to jieba; a text with 保健品 … 骗局 apart must still be found.
    assert index.search("保健品骗局").ids[0] == 1


def test_tags_filter_in_the_same_lookup(index):
    assert index.search("安全", tags={"topic": "safety"}).ids == [2]
    assert set(index.search("安全", tags={"topic": ["safety", "health"]}).ids) == {2, 4}
    assert index.search("安全", tags={"topic": "safety", "kind": "video"}).ids == [2]
    assert index.search("安全", tags={"kind": "audio"}).ids == []


def test_when_no_document_has_every_word_the_best_partial_matches_come(index):
    hits = index.search("空间站 游泳")
    assert hits.matched == "any" and set(hits.ids) == {2, 3}


def test_delete_and_rewrite(index):
    index.delete([1])
    assert index.search("骗局").ids == []
    index.upsert([Document(4, "家庭用药", "只讲药品。")])
    assert index.search("保健品").ids == []
    assert index.count("药品") == 1


def test_similar_documents(index):
    assert index.similar("保健品骗局揭秘", exclude=[1])[0] == 4


def test_tag_values_are_checked():
    with pytest.raises(ValueError):
        search._tag_tokens({"topic": "health OR 1"})


def test_ngrams_find_part_of_a_name():
    idx = SearchIndex("testnames", analyzer=NGRAMS)
    with connection.cursor() as cursor:
        for sql in search._create_sql(connection.vendor, "testnames"):
            cursor.execute(sql)
    idx.upsert([Document(7, "王伟明", "", {"field": "life"}), Document(8, "李伟", "", {"field": "safety"})])
    assert idx.search("伟").ids and set(idx.search("伟").ids) == {7, 8}
    assert idx.search("王伟").ids == [7]
    assert idx.search("伟", tags={"field": "safety"}).ids == [8]
