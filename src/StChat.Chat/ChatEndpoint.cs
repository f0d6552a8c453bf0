using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StChat.Chat.Accounts;
using StChat.Chat.Conversations;

namespace StChat.Chat;

// The HTTP side of a chat connection: everything that can be refused is refused with a plain-text 4xx/5xx before the
// upgrade, so a bad URL, token or conversation never costs a WebSocket. Authentication has already run
// (SessionAuthenticationHandler); access to the conversation is checked here, once.
internal sealed class ChatEndpoint(ChatServices services, IHostApplicationLifetime lifetime)
{
    private readonly ChatOptions _options = services.Options;

    // `/` and `/rooms/{room}`: a public room.
    public Task HandleRoomAsync(HttpContext context, string? room)
    {
        room ??= _options.DefaultRoom;
        return RoomName.IsValid(room)
            ? HandleAsync(context, ConversationKey.Public(room), "rooms/" + room)
            : RefuseAsync(context, StatusCodes.Status400BadRequest, "Invalid room name: use 1-64 characters of A-Z, a-z, 0-9, '_' or '-'.");
    }

    // `/dm/{name}`: the direct conversation with the account `name`, created on first use.
    public Task HandleDirectAsync(HttpContext context, string name) =>
        HandleAsync(context, AccountUser.From(context.User) is { } me && AccountName.IsValid(name) ? ConversationKey.Direct(me.Name, name) : null,
            "dm/" + name, requiresKey: true);

    // `/groups/{id}`.
    public Task HandleGroupAsync(HttpContext context, string id) =>
        HandleAsync(context, ConversationKey.TryParse("group:" + id, out var key) ? key : null, "groups/" + id, requiresKey: true);

    // `/ws`: a socket that follows nothing at first.
    public Task HandleMultiAsync(HttpContext context) => HandleAsync(context, null, "ws");

    private async Task HandleAsync(HttpContext context, ConversationKey? key, string path, bool requiresKey = false)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest,
                $"This is a WebSocket endpoint. Connect with e.g. wscat -c ws://{context.Request.Host}/{path}");
            return;
        }

        var account = AccountUser.From(context.User);
        if (account is null && PresentsToken(context.Request))
        {
            await RefuseAsync(context, StatusCodes.Status401Unauthorized, "The session token is invalid, expired or signed out; sign in again.");
            return;
        }

        string user;
        if (account is not null)
        {
            if (context.Request.Query.ContainsKey("name"))
            {
                await RefuseAsync(context, StatusCodes.Status400BadRequest,
                    $"With a session you are your account, {account.Name}; leave out ?name=.");
                return;
            }

            user = account.Name;
        }
        else if (key is not { Kind: ConversationKind.Public } || !_options.AllowAnonymous)
        {
            await RefuseAsync(context, StatusCodes.Status401Unauthorized,
                "Sign in first: POST /api/sessions, then connect with Authorization: Bearer <token> or ?access_token=<token>.");
            return;
        }
        else if (await AnonymousNameAsync(context) is { } name)
        {
            user = name;
        }
        else
        {
            return;
        }

        if (requiresKey && key is null)
        {
            await RefuseAsync(context, StatusCodes.Status404NotFound, "No such conversation.");
            return;
        }

        long? after = null;
        if (context.Request.Query.TryGetValue("after", out var afterValue))
        {
            if (key is null)
            {
                await RefuseAsync(context, StatusCodes.Status400BadRequest,
                    "/ws follows nothing at first: give \"after\" with each {\"action\":\"subscribe\"} instead of ?after=.");
                return;
            }

            if (!long.TryParse(afterValue.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                await RefuseAsync(context, StatusCodes.Status400BadRequest,
                    "Invalid after: give the last seq you received, a whole number >= 0.");
                return;
            }

            after = parsed;
        }

        if (key is { } conversation && !await CheckConversationAsync(context, account, conversation, after))
        {
            return;
        }

        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "The server is shutting down.");
            return;
        }

        if (!services.Presence.TryReserve())
        {
            services.Logger.LogWarning("Refused a connection to {Path}: {Max} connections are open (Chat:MaxConnections)", path, _options.MaxConnections);
            await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "Too many connections; try again later.");
            return;
        }

        try
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                KeepAliveInterval = _options.KeepAliveInterval,
                KeepAliveTimeout = _options.KeepAliveTimeout,
            });
            var session = new ChatSession(socket, user, account, key, after, services, context.RequestAborted);
            services.Metrics.Connected();
            try
            {
                await session.RunAsync(lifetime.ApplicationStopping);
            }
            finally
            {
                services.Metrics.Disconnected();
            }
        }
        finally
        {
            services.Presence.Release();
        }
    }

    // A token that did not authenticate is refused rather than ignored: the client meant to be someone.
    private static bool PresentsToken(HttpRequest request) =>
        request.Headers.Authorization.Count > 0 || QueryAccessToken.Of(request.HttpContext) is not null;

    // ?name= or a random name; a registered account's name is refused (409), so nobody can pass for its owner.
    private async Task<string?> AnonymousNameAsync(HttpContext context)
    {
        if (!context.Request.Query.TryGetValue("name", out var names))
        {
            return UserName.Random();
        }

        if (!UserName.TryNormalize(names.ToString(), out var name, out var error))
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, $"Invalid name: {error}.");
            return null;
        }

        if (!AccountName.IsValid(name))
        {
            return name;
        }

        var account = await ReadAsync(context, ct => services.Conversations.FindAccountAsync(name, ct), "a name");
        if (account is { Value: not null })
        {
            await RefuseAsync(context, StatusCodes.Status409Conflict,
                $"{name} is a registered account: sign in to use it, or pick another name.");
            return null;
        }

        return account is null ? null : name;
    }

    // Access (404 for anyone who is not a member, whether the conversation exists or not), the follow of a public
    // room by an account, and an `after` beyond the last seq (it would skip every event up to it once they exist).
    private async Task<bool> CheckConversationAsync(HttpContext context, AccountUser? account, ConversationKey key, long? after)
    {
        var allowed = await ReadAsync(context, ct => services.Access.CanAccessAsync(account, key, ct), "a connection");
        if (allowed is null)
        {
            return false;
        }

        if (!allowed.Value)
        {
            await RefuseAsync(context, StatusCodes.Status404NotFound, "No such conversation.");
            return false;
        }

        if (account is not null && key.Kind == ConversationKind.Public
            && await ReadAsync(context, async ct => { await services.Conversations.FollowAsync(account.Id, key, ct); return true; }, "a connection") is null)
        {
            return false;
        }

        if (after is not > 0)
        {
            return true;
        }

        var last = await ReadAsync(context, ct => services.Store.ReadLastSeqAsync(key.Value, ct), "a resume");
        if (last is null)
        {
            return false;
        }

        if (after <= last.Value)
        {
            return true;
        }

        await RefuseAsync(context, StatusCodes.Status400BadRequest,
            $"Invalid after: {after} is beyond the last event of {key}, #{last.Value}; give at most {last.Value} (0 for everything).");
        return false;
    }

    // One bounded database read before the upgrade; null (after answering 503) when the database did not answer.
    private async Task<Box<T>?> ReadAsync<T>(HttpContext context, Func<CancellationToken, Task<T>> read, string what)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(_options.WriteAttemptTimeout);
            return new Box<T>(await read(timeout.Token));
        }
        catch (Exception e) when (ChatRetryableFailures.IsRetryable(e) && !context.RequestAborted.IsCancellationRequested)
        {
            services.Logger.LogWarning("Refused {What}: the chat database did not answer: {Error}", what, e.Message);
            await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "The chat log is unavailable; try again later.");
            return null;
        }
    }

    private static Task RefuseAsync(HttpContext context, int status, string reason)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(reason + "\n");
    }

    private sealed record Box<T>(T Value);
}
