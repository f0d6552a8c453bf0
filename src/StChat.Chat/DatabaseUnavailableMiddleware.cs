using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace StChat.Chat;

// Any HTTP request, authentication included, that fails because PostgreSQL did not answer gets 503 with a problem
// detail and Retry-After instead of a bare 500: the client did nothing wrong and may simply try again.
internal sealed class DatabaseUnavailableMiddleware(RequestDelegate next, ILogger<DatabaseUnavailableMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (ChatRetryableFailures.IsRetryable(e) && !context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
        {
            logger.LogWarning("{Method} {Route} failed: the chat database did not answer: {Error}",
                context.Request.Method, (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)", e.Message);
            context.Response.Clear();
            context.Response.Headers.RetryAfter = "1";
            await ChatProblems.Unavailable("The chat database did not answer; try again.").ExecuteAsync(context);
        }
    }
}
