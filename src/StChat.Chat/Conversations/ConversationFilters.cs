using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StChat.Chat.Accounts;

namespace StChat.Chat.Conversations;

// The edge of the signed-in REST API, in one place: a session is required, a database that does not answer becomes
// 503, and every path under a conversation or group passes ConversationAccess first, so a handler only runs for a
// member and reads the checked key with KeyOf.
internal sealed class ConversationFilters(ConversationAccess access, IOptions<ChatOptions> options, ILogger<ConversationFilters> logger)
{
    private static readonly object KeyItem = new();

    public static AccountUser Me(HttpContext context) =>
        AccountUser.From(context.User) ?? throw new InvalidOperationException("The endpoint runs without RequireAccount.");

    public static ConversationKey KeyOf(HttpContext context) =>
        context.Items[KeyItem] as ConversationKey? ?? throw new InvalidOperationException("The endpoint runs without the conversation filter.");

    public async ValueTask<object?> RequireAccountAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        if (AccountUser.From(context.User) is null)
        {
            return ChatProblems.Unauthorized();
        }

        try
        {
            return await next(invocation);
        }
        catch (Exception e) when (ChatRetryableFailures.IsRetryable(e) && !context.RequestAborted.IsCancellationRequested)
        {
            logger.LogWarning("{Method} {Route} failed: the chat database did not answer: {Error}",
                context.Request.Method, (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText, e.Message);
            context.Response.Headers.RetryAfter = "1";
            return ChatProblems.Unavailable("The chat database did not answer; try again.");
        }
    }

    // {key} is a conversation key (dm:ann:bob, group:..., lobby); {id} is a group id, as in /groups/{id}.
    public async ValueTask<object?> RequireMemberAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var raw = context.GetRouteValue("key") as string
            ?? (context.GetRouteValue("id") is string id ? "group:" + id : null);
        if (!ConversationKey.TryParse(raw, out var key) || (context.GetRouteValue("id") is not null && key.Kind != ConversationKind.Group))
        {
            return ChatProblems.NotFound();
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(options.Value.WriteAttemptTimeout);
        if (!await access.CanAccessAsync(Me(context), key, timeout.Token))
        {
            return ChatProblems.NotFound();
        }

        context.Items[KeyItem] = key;
        return await next(invocation);
    }
}
