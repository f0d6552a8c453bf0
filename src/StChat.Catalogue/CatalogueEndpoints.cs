using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace StChat.Catalogue;

// The catalogue over HTTP: GET /api/feeds/{feed}, /api/feeds/stats, /api/feeds/sports and the /feeds/ws upgrade.
// The catalogue is public, like the anonymous rooms: feed rows are not personal data, so the page, the socket and the
// API need no session. Everything shown is bounded by the horizon (CatalogueHorizon), so the API and the socket agree
// on what exists, and ?after= from one is valid for the other.
internal sealed class CatalogueEndpoints(
    CatalogueHorizon horizon,
    CatalogueReader reader,
    SportTally sports,
    IOptions<CatalogueOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<CatalogueEndpoints> logger)
{
    public const int DefaultPage = 100;
    public const int MaxPage = CatalogueReader.PageSize;

    // How long a request waits for the first ack floor after start before answering 503.
    private static readonly TimeSpan KnownWait = TimeSpan.FromSeconds(3);

    private readonly CatalogueOptions _options = options.Value;
    private int _sockets;

    public async Task<IResult> PageAsync(HttpContext context, string feed)
    {
        if (!CatalogueFeeds.IsKnown(feed))
        {
            return CatalogueProblems.NotFound($"No feed '{feed}': the feeds are {CatalogueFeeds.SportEvent} and {CatalogueFeeds.Execution}.");
        }

        var query = context.Request.Query;
        if (!TryReadNumber(query, "after", 0, long.MaxValue, out var after, out var problem)
            || !TryReadNumber(query, "limit", 1, MaxPage, out var limit, out problem))
        {
            return problem!;
        }

        if (await WaitForHorizonAsync(context.RequestAborted) is { } unavailable)
        {
            return unavailable;
        }

        var upTo = horizon.Horizon;
        var rows = await reader.ReadAsync(horizon.Stream, feed, after ?? 0, upTo, (int)(limit ?? DefaultPage), context.RequestAborted);
        return TypedResults.Bytes(CatalogueJson.Page(feed, upTo, rows), "application/json");
    }

    public async Task<IResult> StatsAsync(HttpContext context)
    {
        var stats = horizon.Stats;
        var lag = await reader.ReadNewestLagAsync(horizon.Stream, stats.Horizon, context.RequestAborted);
        return TypedResults.Json(
            new StatsResponse(stats.Horizon, stats.Pending, Math.Round(stats.Rate, 1), lag, stats.ReadAt), CatalogueJsonContext.Default.StatsResponse);
    }

    public async Task<IResult> SportsAsync(HttpContext context)
    {
        if (await WaitForHorizonAsync(context.RequestAborted) is { } unavailable)
        {
            return unavailable;
        }

        var counts = await sports.ReadAsync(horizon.Stream, horizon.Horizon, context.RequestAborted);
        return TypedResults.Json(counts, CatalogueJsonContext.Default.SportsResponse);
    }

    // `/feeds/ws?after=N`: refused with plain text before the upgrade when anything is wrong, like the chat sockets.
    public async Task SocketAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest,
                $"This is a WebSocket endpoint. Connect with e.g. wscat -c 'ws://{context.Request.Host}/feeds/ws?after=0'");
            return;
        }

        var query = context.Request.Query;
        long after = 0;
        if (query.Keys.Any(k => k != "after")
            || (query.TryGetValue("after", out var value)
                && !long.TryParse(value.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out after)))
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest,
                "The only parameter is ?after=N: the last seq (row or horizon frame) you received, a whole number >= 0.");
            return;
        }

        if (await WaitForHorizonAsync(context.RequestAborted) is not null)
        {
            await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "The catalogue is not available yet; try again later.");
            return;
        }

        // Beyond this node's horizon may still be within another node's: the broker's ack floor decides.
        if (after > horizon.Horizon)
        {
            var floor = await ReadAckFloorAsync(context);
            if (floor < 0)
            {
                await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "The catalogue's horizon cannot be read just now; try again later.");
                return;
            }

            if (after > floor)
            {
                await RefuseAsync(context, StatusCodes.Status400BadRequest,
                    $"Invalid after: {after} is beyond the catalogue's horizon, #{floor}; give at most that (0 for everything).");
                return;
            }
        }

        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "The server is shutting down.");
            return;
        }

        if (Interlocked.Increment(ref _sockets) > _options.MaxConnections)
        {
            Interlocked.Decrement(ref _sockets);
            Log.TooManySockets(logger, _options.MaxConnections);
            await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "Too many connections; try again later.");
            return;
        }

        try
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                KeepAliveInterval = _options.KeepAliveInterval,
                KeepAliveTimeout = _options.KeepAliveInterval,
            });
            await new CatalogueSocket(socket, horizon, reader, _options, logger).RunAsync(after, lifetime.ApplicationStopping);
        }
        finally
        {
            Interlocked.Decrement(ref _sockets);
        }
    }

    // -1 when the broker does not answer within the wait for a first horizon.
    private async Task<long> ReadAckFloorAsync(HttpContext context)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(KnownWait);
        try
        {
            return await horizon.ReadAckFloorAsync(timeout.Token);
        }
        catch (Exception e) when (e is NATS.Client.Core.NatsException or OperationCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            return -1;
        }
    }

    private async Task<IResult?> WaitForHorizonAsync(CancellationToken ct)
    {
        try
        {
            await horizon.Known.WaitAsync(KnownWait, ct);
            return null;
        }
        catch (TimeoutException)
        {
            return CatalogueProblems.Unavailable(
                $"The catalogue has not read the ack floor of consumer {horizon.Consumer} on stream {horizon.Stream} yet: " +
                "is NATS reachable, and has an ingest worker created the consumer? Try again later.");
        }
    }

    private static bool TryReadNumber(IQueryCollection query, string name, long min, long max, out long? value, out IResult? problem)
    {
        (value, problem) = (null, null);
        if (!query.TryGetValue(name, out var raw))
        {
            return true;
        }

        if (long.TryParse(raw.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed >= min && parsed <= max)
        {
            value = parsed;
            return true;
        }

        problem = CatalogueProblems.BadRequest($"\"{name}\" must be a whole number from {min} to {max}.");
        return false;
    }

    private static Task RefuseAsync(HttpContext context, int status, string reason)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(reason + "\n");
    }
}
