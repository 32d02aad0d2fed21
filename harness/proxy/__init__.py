"""The contract proxy: an application's live traffic judged by the harness's rules.

`ahi-contract proxy` puts `session.ContractProxy` between an application and an
endpoint: `relay` passes each request on, `rules` judges what the application's SDK
sent, `judge` judges what the endpoint answered with the server suite's checks and
the oracle, and `upstream` says where requests go and how they are signed there.
"""
