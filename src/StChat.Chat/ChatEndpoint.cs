using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace StChat.Chat;

// The HTTP side of a chat connection: everything that can be refused is refused with a plain-text 4xx/5xx before the
// upgrade, so a bad URL never costs a WebSocket.
internal sealed class ChatEndpoint(ChatServices services, IHostApplicationLifetime lifetime)
{
    private readonly ChatOptions _options = services.Options;

    public async Task HandleAsync(HttpContext context, string? room)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest,
                $"This is a WebSocket endpoint. Connect with e.g. wscat -c ws://{context.Request.Host}/rooms/{room ?? _options.DefaultRoom}?name=Ann");
            return;
        }

        room ??= _options.DefaultRoom;
        if (!RoomName.IsValid(room))
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest,
                "Invalid room name: use 1-64 characters of A-Z, a-z, 0-9, '_' or '-'.");
            return;
        }

        string user;
        if (context.Request.Query.TryGetValue("name", out var names))
        {
            if (!UserName.TryNormalize(names.ToString(), out user, out var error))
            {
                await RefuseAsync(context, StatusCodes.Status400BadRequest, $"Invalid name: {error}.");
                return;
            }
        }
        else
        {
            user = UserName.Random();
        }

        long? after = null;
        if (context.Request.Query.TryGetValue("after", out var afterValue))
        {
            if (!long.TryParse(afterValue.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                await RefuseAsync(context, StatusCodes.Status400BadRequest,
                    "Invalid after: give the last seq you received, a whole number >= 0.");
                return;
            }

            after = parsed;
            if (parsed > 0 && !await CheckAfterAsync(context, room, parsed))
            {
                return;
            }
        }

        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "The server is shutting down.");
            return;
        }

        if (!services.Presence.TryReserve())
        {
            services.Logger.LogWarning("Refused a connection to {Room}: {Max} connections are open (Chat:MaxConnections)", room, _options.MaxConnections);
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
            var connection = new ChatConnection(socket, room, user, after, services, context.RequestAborted);
            await connection.RunAsync(lifetime.ApplicationStopping);
        }
        finally
        {
            services.Presence.Release();
        }
    }

    // An after beyond the room's last seq would skip every event up to it once they exist: refused, with the last seq.
    private async Task<bool> CheckAfterAsync(HttpContext context, string room, long after)
    {
        long last;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(_options.WriteAttemptTimeout);
            last = await services.Store.ReadLastSeqAsync(room, timeout.Token);
        }
        catch (Exception e) when (ChatRetryableFailures.IsRetryable(e) && !context.RequestAborted.IsCancellationRequested)
        {
            services.Logger.LogWarning("Refused a resume in {Room}: the last seq could not be read: {Error}", room, e.Message);
            await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "The chat log is unavailable; try again later.");
            return false;
        }

        if (after <= last)
        {
            return true;
        }

        await RefuseAsync(context, StatusCodes.Status400BadRequest,
            $"Invalid after: {after} is beyond the last event of {room}, #{last}; give at most {last} (0 for everything).");
        return false;
    }

    private static Task RefuseAsync(HttpContext context, int status, string reason)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(reason + "\n");
    }
}
