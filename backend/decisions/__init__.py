"""四议两公开 decisions: the rules of every deciding body (``rules``), a decision's stages from proposal to the
implementation result (``pipeline``), and the votes taken on them (``votes``).

Other domains cite a decision through :func:`get_ref` (several at once: :func:`refs_of`); the township counts
decisions with :func:`decisions_of`; the home screen lists :func:`my_open_votes`; the township warns of votes closing
soon with a low turnout (:func:`votes_closing`). The write functions below are the pipeline's own, for the demo and
the CLI; :func:`settle_vote` is the one place a closed vote is tallied and recorded on its decision.
"""

from backend.decisions.pipeline.meetings import MeetingInput, record_meeting
from backend.decisions.pipeline.publicity import (
    answer_objection,
    close_publicity,
    open_publicity,
    overdue_objections,
    record_objection,
)
from backend.decisions.pipeline.result import ResultInput, record_result
from backend.decisions.pipeline.service import (
    DecisionInput,
    DecisionRef,
    create_decision,
    decisions_of,
    end_decision,
    get_ref,
    refs_of,
)
from backend.decisions.pipeline.settling import settle_vote, sync_votes
from backend.decisions.rules import BODIES, Tally, evaluate, rule_for
from backend.decisions.votes.assisted import (
    AssistVote,
    assisted_vote,
    check_assisted_ballot,
    open_votes_for_member,
    record_assisted_ballot,
)
from backend.decisions.votes.schemas import MyVoteSchema
from backend.decisions.votes.service import (
    VoteTurnout,
    due_votes,
    electorate,
    my_open_votes,
    open_vote,
    votes_closing,
)

__all__ = [
    "BODIES",
    "AssistVote",
    "DecisionInput",
    "DecisionRef",
    "MeetingInput",
    "MyVoteSchema",
    "ResultInput",
    "Tally",
    "VoteTurnout",
    "answer_objection",
    "assisted_vote",
    "check_assisted_ballot",
    "close_publicity",
    "create_decision",
    "decisions_of",
    "due_votes",
    "electorate",
    "end_decision",
    "evaluate",
    "get_ref",
    "my_open_votes",
    "open_publicity",
    "open_vote",
    "open_votes_for_member",
    "overdue_objections",
    "record_assisted_ballot",
    "record_meeting",
    "record_objection",
    "record_result",
    "refs_of",
    "rule_for",
    "settle_vote",
    "sync_votes",
    "votes_closing",
]
