using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StChat.Chat.Accounts;

namespace StChat.Chat.Security;

// The limits of ASP.NET Core's rate limiter, one chain for every request, each link keyed by the client address that
// ForwardedHeadersMiddleware resolved (an IPv6 client by its /64: ClientAddress), or by the session token (its SHA-256,
// as stored). They run before authentication, so a flood of requests costs no session lookups beyond the limits:
// - WebSocket upgrades: at most Chat:MaxConnectionsPerAddress open at once (the lease is held while the socket lives)
//   and Chat:JoinsPerAddressPerMinute opened, so a reconnect loop cannot fill chat_log with joins and exits;
// - REST (/api/...): Chat:RequestsPerAddressPerMinute per address and Chat:RequestsPerSessionPerMinute per session.
// Anything else (the page, health and metrics endpoints) is not limited. A refusal is a 429 problem detail, with
// Retry-After when waiting helps.
internal static partial class ClientRateLimits
{
    private const string None = "";

    public static void Configure(RateLimiterOptions limiter, ChatOptions options)
    {
        limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
            PartitionedRateLimiter.Create<HttpContext, string>(context => IsUpgrade(context) && Address(context) is { } address
                ? RateLimitPartition.GetConcurrencyLimiter(address, _ => new ConcurrencyLimiterOptions { PermitLimit = options.MaxConnectionsPerAddress, QueueLimit = 0 })
                : RateLimitPartition.GetNoLimiter(None)),
            PartitionedRateLimiter.Create<HttpContext, string>(context => IsUpgrade(context) && Address(context) is { } address
                ? TokenBucket(address, options.JoinsPerAddressPerMinute, options.JoinBurstPerAddress)
                : RateLimitPartition.GetNoLimiter(None)),
            PartitionedRateLimiter.Create<HttpContext, string>(context => IsApi(context) && Address(context) is { } address
                ? TokenBucket(address, options.RequestsPerAddressPerMinute, options.RequestsPerAddressPerMinute)
                : RateLimitPartition.GetNoLimiter(None)),
            PartitionedRateLimiter.Create<HttpContext, string>(context => IsApi(context) && SessionAuthenticationHandler.Token(context) is { } token
                ? TokenBucket(Convert.ToHexString(SessionToken.Hash(token)), options.RequestsPerSessionPerMinute, options.RequestsPerSessionPerMinute)
                : RateLimitPartition.GetNoLimiter(None)));

        limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        limiter.OnRejected = async (rejected, _) =>
        {
            var context = rejected.HttpContext;
            var waits = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter);
            if (waits)
            {
                context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            }

            var (what, detail) = (IsUpgrade(context), waits) switch
            {
                (true, false) => ("open connections", $"Too many open connections from your address (at most {options.MaxConnectionsPerAddress}); close one first."),
                (true, true) => ("new connections", "Too many connections opened from your address; wait before connecting again."),
                _ => ("requests", "Too many requests; wait before trying again."),
            };
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ClientRateLimits));
            LogRefused(logger, context.Request.Path, what, context.Connection.RemoteIpAddress);
            await ChatProblems.Create(StatusCodes.Status429TooManyRequests, ChatErrorCodes.RateLimited, detail).ExecuteAsync(context);
        };
    }

    private static bool IsUpgrade(HttpContext context) => context.WebSockets.IsWebSocketRequest;

    private static bool IsApi(HttpContext context) => context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase);

    private static string? Address(HttpContext context) => context.Connection.RemoteIpAddress is { } address ? ClientAddress.Key(address) : null;

    // `perMinute` on average, up to `burst` at once. The partitioned limiter refills its buckets on its own timer and
    // drops full, idle ones, so one bucket per address costs nothing once the address goes quiet.
    private static RateLimitPartition<string> TokenBucket(string key, int perMinute, int burst) =>
        RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1) / perMinute,
            QueueLimit = 0,
            AutoReplenishment = false,
        });

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refused {Path} with 429: too many {What} from {Address}")]
    private static partial void LogRefused(ILogger logger, PathString path, string what, IPAddress? address);
}
