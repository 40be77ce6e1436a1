"""The theme calendar as shipped: national theme days and weeks and Beijing's own.

Rules give the usual dates; where the dates are announced each year (北京科技周, 北京科学嘉年华)
or moved, the city office records a ``ThemeOccurrence`` in the admin.
"""

FIXED, NTH, MONTH, ANNOUNCED = "fixed", "nth_weekday", "month", "announced"
SAT = 5

THEMES = [
    {"slug": "world-water-day", "name": "世界水日", "rule": FIXED, "month": 3, "day": 22},
    {"slug": "world-meteorological-day", "name": "世界气象日", "rule": FIXED, "month": 3, "day": 23},
    {"slug": "national-security-education-day", "name": "全民国家安全教育日", "rule": FIXED, "month": 4, "day": 15},
    {"slug": "earth-day", "name": "世界地球日", "rule": FIXED, "month": 4, "day": 22},
    {"slug": "space-day", "name": "中国航天日", "rule": FIXED, "month": 4, "day": 24},
    {"slug": "ip-day", "name": "世界知识产权日", "rule": FIXED, "month": 4, "day": 26},
    {"slug": "disaster-reduction-day", "name": "全国防灾减灾日", "rule": FIXED, "month": 5, "day": 12},
    {"slug": "museum-day", "name": "国际博物馆日", "rule": FIXED, "month": 5, "day": 18},
    # 全国科技活动周: a week in the second half of May, from its opening Saturday.
    {
        "slug": "science-week",
        "name": "全国科技活动周",
        "rule": NTH,
        "month": 5,
        "weekday": SAT,
        "nth": 3,
        "duration_days": 8,
    },
    {"slug": "sci-tech-workers-day", "name": "全国科技工作者日", "rule": FIXED, "month": 5, "day": 30},
    {"slug": "environment-day", "name": "世界环境日", "rule": FIXED, "month": 6, "day": 5},
    {"slug": "safety-month", "name": "安全生产月", "rule": MONTH, "month": 6},
    # 文化和自然遗产日: the second Saturday of June.
    {"slug": "heritage-day", "name": "文化和自然遗产日", "rule": NTH, "month": 6, "weekday": SAT, "nth": 2},
    # 全国科普日: centred on the third weekend of September.
    {
        "slug": "national-science-day",
        "name": "全国科普日",
        "rule": NTH,
        "month": 9,
        "weekday": SAT,
        "nth": 3,
        "duration_days": 7,
    },
    {"slug": "constitution-week", "name": "宪法宣传周", "rule": FIXED, "month": 12, "day": 1, "duration_days": 7},
    {"slug": "beijing-science-week", "name": "北京科技周", "rule": ANNOUNCED, "month": 5, "is_city_theme": True},
    {
        "slug": "beijing-science-carnival",
        "name": "北京科学嘉年华",
        "rule": ANNOUNCED,
        "month": 9,
        "is_city_theme": True,
    },
]
