using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using StChat.Chat.Accounts;

namespace StChat.Chat.Conversations;

// The membership check of the REST API, in one place: every path under a conversation or group passes
// ConversationAccess first (after AccountUser.RequireAccount), so a handler only runs for a member and reads the checked key with KeyOf.
internal sealed class ConversationFilters(ConversationAccess access, IOptions<ChatOptions> options)
{
    private static readonly object KeyItem = new();

    public static ConversationKey KeyOf(HttpContext context) =>
        context.Items[KeyItem] as ConversationKey? ?? throw new InvalidOperationException("The endpoint runs without the conversation filter.");

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
        if (!await access.CanAccessAsync(AccountUser.Of(context), key, timeout.Token))
        {
            return ChatProblems.NotFound();
        }

        context.Items[KeyItem] = key;
        return await next(invocation);
    }
}
