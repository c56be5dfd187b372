"""Chinese (rule pages of Chinese marketplaces): written without spaces, so matched as substrings."""

LEXICON = {
    "function_words": ("的", "是", "在", "和", "您", "我们", "或", "不"),
    "capitalises_nouns": False,
    "spaced": False,
    "negations": ("不", "未", "无", "禁止", "不得"),
    "modals": ("应", "应当", "必须", "须", "可以", "可", "不得", "禁止"),
    "prohibition": (r"不得", r"禁止", r"严禁", r"不允许"),
    "deadline": (r"\d+\s*(?:个)?(?:工作日|日|天|小时|个月)内", r"期限", r"截止"),
    "fee": (r"费用", r"佣金", r"保证金", r"罚款", r"违约金"),
    "obligation": (r"应当", r"必须", r"须", r"有义务", r"负责"),
    "sanction": (r"冻结", r"暂停", r"封禁", r"关闭店铺", r"终止", r"扣除", r"下架", r"清退"),
    "right": (r"退款", r"申诉", r"赔偿", r"退货", r"权利"),
    "examples": (r"例如", r"比如"),
    "link_decorations": (r"[（(]在新窗口中打开[)）]",),
    "chrome_headings": (r"这篇文章(?:对您)?有帮助吗", r"相关文章", r"相关推荐"),
}
