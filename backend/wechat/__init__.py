"""Everything the project says to WeChat goes through :class:`WeChatGateway` (wechatpy underneath).

``standin`` is the local WeChat stand-in used in development and tests; it is not imported here.
"""

from backend.wechat.client import (
    MiniProgramClient,
    SendResult,
    SharedTokenStorage,
    TextCheck,
    WeChatGateway,
    WxSession,
    clear_gateway_cache,
    gateway_from_config,
)

__all__ = [
    "MiniProgramClient",
    "SendResult",
    "SharedTokenStorage",
    "TextCheck",
    "WeChatGateway",
    "WxSession",
    "clear_gateway_cache",
    "gateway_from_config",
]
