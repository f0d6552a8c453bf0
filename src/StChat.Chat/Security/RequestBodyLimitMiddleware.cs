using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace StChat.Chat.Security;

// Kestrel enforces Chat:MaxRequestBodyBytes (MaxRequestBodySize); this turns its refusal into a 413 problem detail,
// before any handler runs when Content-Length already says too much, and when a chunked body goes over while read.
// The connection closes after it (the rest of the body is never read), so the answer says so to the client.
internal sealed class RequestBodyLimitMiddleware(RequestDelegate next)
{
    // An upgrade has no body (Kestrel refuses one that declares it) and its request lasts as long as the WebSocket:
    // it passes straight on, so an idle connection does not keep this middleware's frame as well.
    public Task InvokeAsync(HttpContext context) =>
        context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } ? next(context) : LimitAsync(context);

    private async Task LimitAsync(HttpContext context)
    {
        var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        if (context.Request.ContentLength > limit)
        {
            await RefuseAsync(context, limit);
            return;
        }

        try
        {
            await next(context);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge && !context.Response.HasStarted)
        {
            context.Response.Clear();
            await RefuseAsync(context, limit);
        }
    }

    private static Task RefuseAsync(HttpContext context, long? limit)
    {
        context.Response.Headers.Connection = "close";
        return ChatProblems.Create(StatusCodes.Status413PayloadTooLarge, ChatErrorCodes.BadRequest,
            limit is null ? "The request body is too large." : $"The request body is larger than {limit} bytes.").ExecuteAsync(context);
    }
}
