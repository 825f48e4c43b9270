"""Closed-loop supervision: rectification tasks, typical cases, petition cases (issue 16).

The pure core lives here and writes nothing: :mod:`~ecowatch.cases.workflow` (states, actions, who may
make each move), :mod:`~ecowatch.cases.escalation` (the ladder of steps for late cases) and
:mod:`~ecowatch.cases.audit` (the hash chain of a case's history). The store, service, API and pages
build on them.

Sources cited in this package's docstrings by key (from ``shared/reference/cases.md``; the transition
and role tables themselves are the platform's own rule, issue 16):

.. [Issue16] ecowatch issue 16, "Closed-loop supervision": the table of states, moves and roles, and the
   default escalation ladder.
.. [CIP2019] 《中央生态环境保护督察工作规定》 (2019) and 《中央生态环境保护督察整改工作办法》, cited
   together by MEE (2023-02): "拉条挂账、督办落实、办结销号" (itemised accounts, supervision, closing
   on completion).
.. [Huangshan2022] 黄山市《生态环境问题整改验收销号实施办法》 (2022): 提交申请 → 现场核查 → 审核签字 →
   公示反馈 (application, site check, signed review, publication); "谁验收、谁负责".
.. [Hainan2018] 海南省 整改销号工作办法 (2018): the lead unit carries 核查验收、整改销号; a 销号管理台账 where
   "履责留痕，有据可查" (every act of duty leaves a trace that can be checked).
.. [Wuhu2019] 芜湖市 (2019): 日调度、周通报、旬销号、月抽查 (daily progress, weekly bulletin naming overdue
   units, acceptance files on the 10th and 25th, monthly spot checks).
.. [Guangyuan2018] 广元市 红黄蓝预警 (2018): yellow card → 专函督办;
   red card → 约谈 of the unit's head and 问责.
.. [Yueyang2018] 约谈 of a city party committee and government by provincial departments for lagging
   central-inspection tasks (岳阳, 2018).
"""
