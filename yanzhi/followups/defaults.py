"""The follow-up rules every chain starts with (editable afterwards), taken from the clinics'
practice in the source documents:

- 新建客人 / 预约未到访 / 到访未支付 / 支付后 (领健 智能回访): the consultant follows a paid
  customer who has not come for the treatment after some days (ask why, judge the churn risk,
  book an appointment).
- 执行划扣后, surgery and injections (领健 整形术后回访 and 圣迪亚 客服部养客计划): customer service
  within 2 hours; the responsible consultant within a day (24 h: bruising, swelling, pain, calm
  the customer, care notes, best check-up time); the doctor at 72 h (recovery seen at the
  check-up); the nurse by SMS within 7 days (recovery, skin care); customer service at 1, 3 and
  6 months (satisfaction; the 6-month call plants the next visit or a referral).
- 生日 greetings.
- 会员沉睡: customer service calls a member who fell asleep (no visit or purchase for the
  chain's 沉睡 threshold) to win them back: 睡眠型客户 "为他创造新的需求" (圣迪亚 养客计划).
- 节日问候 (the source's 节假日问候, 客情维护 between purchases): 三八妇女节 on 03-08 every year
  and 春节 on its date of each year, an SMS from customer service to members (首次/多次成交).

A rule's optional 7th element holds extra fields (dates, filters)."""


def N_(text: str) -> str:
    """Default rules are the chain's data (Chinese, editable), not UI strings to translate."""
    return text


SURGERY_DEPARTMENTS = ("整形外科", "微整科")

# (key, name, trigger, wait_days, departments, nodes); node = (label, value, unit, role, channel, script)
DEFAULT_RULES = [
    (
        "new_customer",
        N_("新建客户回访"),
        "customer_created",
        0,
        (),
        [
            (
                N_("建档24小时内"),
                0,
                "hours",
                "customer_service",
                "call",
                N_(
                    "{称呼}您好,我是{门店}的客服。感谢您留下资料,请问您最关心哪方面的变美需求?"
                    "我们可以为您安排专业的咨询师和医生面诊。"
                ),
            )
        ],
    ),
    (
        "no_show",
        N_("预约未到访回访"),
        "appointment_missed",
        0,
        (),
        [
            (
                N_("当天回访"),
                0,
                "hours",
                "consultant",
                "call",
                N_(
                    "{称呼}您好,我是{门店}的{负责人}。您今天的预约没有到店,是否遇到了什么情况?"
                    "需要为您重新安排时间吗?"
                ),
            )
        ],
    ),
    (
        "visited_not_paid",
        N_("到访未支付回访"),
        "visited_not_paid",
        0,
        (),
        [
            (
                N_("次日回访"),
                1,
                "days",
                "consultant",
                "call",
                N_(
                    "{称呼}您好,我是{门店}的{负责人}。感谢您昨天到店,请问对方案还有什么顾虑?"
                    "我可以再为您详细解答。"
                ),
            )
        ],
    ),
    (
        "paid_not_executed",
        N_("支付后未执行回访"),
        "paid_not_executed",
        5,
        (),
        [
            (
                N_("支付5天后未执行"),
                0,
                "days",
                "consultant",
                "call",
                N_(
                    "{称呼}您好,我是{门店}的{负责人}。您购买的{项目}还没有安排治疗,"
                    "请问是什么原因呢?我帮您预约一个方便的时间。"
                ),
            )
        ],
    ),
    (
        "post_op",
        N_("手术/注射术后回访"),
        "executed",
        0,
        SURGERY_DEPARTMENTS,
        [
            (
                N_("术后2小时"),
                2,
                "hours",
                "customer_service",
                "call",
                N_(
                    "{称呼}您好,我是{门店}的客服。您今天做了{项目},现在感觉怎么样?"
                    "有没有不适?请按医嘱护理,有任何问题随时联系我们。"
                ),
            ),
            (
                N_("术后24小时"),
                24,
                "hours",
                "consultant",
                "call",
                N_(
                    "{称呼}您好,我是您的咨询师{负责人}。{项目}术后24小时,有没有青、紫、淤、痛?"
                    "请不要紧张,这些都是正常反应。提醒您术后注意事项,最佳复诊时间是…"
                ),
            ),
            (
                N_("术后72小时"),
                72,
                "hours",
                "doctor",
                "call",
                N_(
                    "{称呼}您好,我是{负责人}医生。{项目}术后72小时,复诊时看到您恢复得很好,"
                    "请继续按医嘱护理。"
                ),
            ),
            (
                N_("术后7天内短信"),
                7,
                "days",
                "nurse",
                "sms",
                N_(
                    "{称呼}您好,{项目}术后第7天,请注意防晒保湿、清淡饮食,按医嘱护理。如有不适请回电{门店}。"
                ),
            ),
            (
                N_("术后1个月"),
                1,
                "months",
                "customer_service",
                "call",
                N_(
                    "{称呼}您好,{项目}已经一个月了,恢复初期已经过去,您对效果满意吗?"
                    "如有不满意,欢迎来院复诊。"
                ),
            ),
            (
                N_("术后3个月"),
                3,
                "months",
                "customer_service",
                "call",
                N_("{称呼}您好,{项目}三个月了,您基本恢复了吧?想了解一下您的满意度。"),
            ),
            (
                N_("术后6个月"),
                6,
                "months",
                "customer_service",
                "call",
                N_(
                    "{称呼}您好!最近一切都好吧?有时间可以来{门店}坐坐,再复诊一下,"
                    "最近有护肤项目活动……"
                ),
            ),
        ],
    ),
    (
        "birthday",
        N_("生日祝福"),
        "birthday",
        0,
        (),
        [
            (
                N_("生日当天"),
                0,
                "days",
                "customer_service",
                "sms",
                N_("{称呼},{门店}祝您生日快乐!愿您美丽常在。"),
            )
        ],
    ),
    (
        "member_sleeping",
        N_("沉睡会员唤醒"),
        "member_sleeping",
        0,
        (),
        [
            (
                N_("沉睡当天"),
                0,
                "days",
                "customer_service",
                "call",
                N_(
                    "{称呼}您好,我是{门店}的{负责人},好久没见到您了,最近还好吗?"
                    "您之前的项目效果保持得怎么样?我们为老朋友准备了专属关怀,"
                    "欢迎回来做个免费检查,我可以帮您预约时间。"
                ),
            )
        ],
    ),
    (
        "womens_day",
        N_("三八妇女节问候"),
        "date",
        0,
        (),
        [
            (
                N_("节日当天"),
                0,
                "days",
                "customer_service",
                "sms",
                N_("{称呼},{门店}祝您三八妇女节快乐!愿您自信美丽,闪耀每一天。"),
            )
        ],
        {"dates": ["03-08"], "deal_statuses": ["first", "repeat"]},
    ),
    (
        "spring_festival",
        N_("春节问候"),
        "date",
        0,
        (),
        [
            (
                N_("春节当天"),
                0,
                "days",
                "customer_service",
                "sms",
                N_("{称呼},{门店}给您拜年了!祝您新春快乐,万事如意,越来越美!"),
            )
        ],
        # 春节 moves with the lunar calendar: one date per year, edited as years go by.
        {
            "dates": ["2027-02-06", "2028-01-26", "2029-02-13", "2030-02-03"],
            "deal_statuses": ["first", "repeat"],
        },
    ),
]
