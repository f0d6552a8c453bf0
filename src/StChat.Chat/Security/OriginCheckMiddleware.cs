using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace StChat.Chat.Security;

// Cross-site WebSocket hijacking: every WebSocket upgrade, on any path, whose Origin is not allowed is refused with 403
// before the upgrade. Plain HTTP requests pass: the REST API takes bearer tokens, which a browser never adds on its
// own, and no CORS policy is registered, so other origins' pages cannot read its answers.
internal sealed partial class OriginCheckMiddleware(RequestDelegate next, AllowedOrigins origins, ILogger<OriginCheckMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest || origins.Allows(context.Request))
        {
            return next(context);
        }

        LogRefused(logger, context.Request.Path, context.Request.Headers.Origin.ToString(), context.Connection.RemoteIpAddress);
        return ChatProblems.Create(StatusCodes.Status403Forbidden, ChatErrorCodes.OriginNotAllowed,
            "WebSocket connections from this page's origin are not allowed (Chat:AllowedOrigins).").ExecuteAsync(context);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a WebSocket to {Path} from origin {Origin} (address {Address}): not in Chat:AllowedOrigins")]
    private static partial void LogRefused(ILogger logger, PathString path, string origin, System.Net.IPAddress? address);
}
