using Microsoft.Extensions.Logging;
using StChat.Nats.Internal;

namespace StChat.Nats;

public sealed partial class NatsConnection
{
    // -ERR texts after which the server keeps the connection open.
    private static readonly string[] NonFatalErrors = ["Permissions Violation", "Invalid Publish Subject", "Invalid Subject"];

    private async Task ReadLoopAsync(ServerConnection connection)
    {
        var reader = connection.Reader;
        Exception? reason = null;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(connection.Token);
                var buffer = result.Buffer;
                try
                {
                    while (connection.Parser.TryParse(ref buffer, out var op))
                    {
                        Dispatch(connection, op);
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }

                if (result.IsCompleted)
                {
                    reason = new NatsException("The server closed the connection.");
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (connection.Token.IsCancellationRequested)
        {
            // Aborted by whoever noticed the loss first.
        }
        catch (Exception ex)
        {
            reason = ex;
        }
        finally
        {
            await reader.CompleteAsync();
        }

        OnConnectionLost(connection, reason);
    }

    private void Dispatch(ServerConnection connection, in ServerOp op)
    {
        switch (op.Kind)
        {
            case ServerOpKind.Msg:
                Deliver(op.Sid, op.Msg);
                break;
            case ServerOpKind.Ping:
                _writer.Pong();
                break;
            case ServerOpKind.Pong:
                connection.OnPong();
                CompletePing(connection);
                break;
            case ServerOpKind.Err:
                HandleServerError(connection, op.Text ?? "");
                break;
            case ServerOpKind.Info:
                HandleAsyncInfo(connection, op.Text ?? "{}");
                break;
            case ServerOpKind.Ok:
            default:
                break;
        }
    }

    // Permission errors concern one command and leave the connection open; every other -ERR precedes a close.
    private void HandleServerError(ServerConnection connection, string text)
    {
        if (!NonFatalErrors.Any(prefix => text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
        {
            throw new NatsServerErrorException($"NATS server {connection.Address} reported: {text}");
        }

        _logger.LogWarning("NATS server {Server} reported: {Error}", connection.Address, text);
        const string subscriptionViolation = "Permissions Violation for Subscription to ";
        if (!text.StartsWith(subscriptionViolation, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        // -ERR 'Permissions Violation for Subscription to "<subject>"' [using queue "<queue>"]: end that subscription with the error.
        var rest = text[subscriptionViolation.Length..];
        var quoted = rest.Split('"');
        var subject = quoted.Length >= 2 ? quoted[1] : rest.Trim();
        var error = new NatsServerErrorException(text);
        foreach (var sub in _subs.Values)
        {
            if (sub.Subject == subject && _subs.TryRemove(new KeyValuePair<int, NatsSubscription>(sub.Sid, sub)))
            {
                sub.Complete(error);
            }
        }
    }

    private void HandleAsyncInfo(ServerConnection connection, string json)
    {
        var info = ParseInfo(json);
        connection.Info = info;
        connection.Parser.MaxPayload = info.MaxPayload;
        ServerInfo = info;
        if (info.LameDuckMode)
        {
            _logger.LogWarning("NATS server {Server} entered lame duck mode and will close connections soon", connection.Address);
        }
    }

    // Sends a PING every PingInterval; MaxPingOut unanswered ones mean the connection is stale.
    private async Task KeepaliveLoopAsync(ServerConnection connection)
    {
        try
        {
            using var timer = new PeriodicTimer(Opts.PingInterval);
            while (await timer.WaitForNextTickAsync(connection.Token))
            {
                if (connection.PingsOut >= Opts.MaxPingOut)
                {
                    OnConnectionLost(connection, new NatsException($"Stale connection: {connection.PingsOut} PINGs were not answered."));
                    return;
                }

                connection.OnPingSent();
                _writer.Ping(position => EnqueuePing(position));
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
