using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace StChat.Chat.Accounts;

// Signing out closes the session's sockets at once on this node, and on the others through the bus; but a message
// over NATS can be lost (a node cut off, a publish dropped), and a session can expire while its sockets are open. So
// every Chat:SessionCheckInterval the sessions with open sockets here are looked up, and the sockets of those that
// are no longer live are closed with 4001: revocation holds within that interval whatever the bus did.
internal sealed partial class SessionSweeper(
    SessionSockets sockets,
    SessionStore sessions,
    IOptions<ChatOptions> options,
    ILogger<SessionSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SessionCheckInterval);
        while (await TickAsync(timer, stoppingToken))
        {
            var open = sockets.OpenSessions();
            if (open.Length == 0)
            {
                continue;
            }

            HashSet<long> live;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(options.Value.WriteAttemptTimeout);
                live = await sessions.LiveAsync(open, timeout.Token);
            }
            catch (Exception e) when (ChatRetryableFailures.IsRetryable(e) && !stoppingToken.IsCancellationRequested)
            {
                // Checked again at the next tick; until then the sockets stay as they are.
                Log.CheckFailed(logger, open.Length, e.Message);
                continue;
            }

            foreach (var session in open.Where(s => !live.Contains(s)))
            {
                Log.Closing(logger, session);
                sockets.CloseAll(session);
            }
        }
    }

    // False once the host is stopping.
    private static async Task<bool> TickAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Could not check the {Count} sessions with open sockets: {Error}; trying again at the next interval")]
        public static partial void CheckFailed(ILogger logger, int count, string error);

        [LoggerMessage(Level = LogLevel.Information, Message = "Closing the sockets of session {Session}: it was signed out or has expired")]
        public static partial void Closing(ILogger logger, long session);
    }
}
