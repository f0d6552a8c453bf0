using Microsoft.Extensions.Logging;

namespace StChat.Catalogue;

// The catalogue's log lines, source-generated so that a line below the configured level costs nothing.
internal static partial class Log
{
    [LoggerMessage(LogLevel.Warning,
        "The catalogue cannot read the ack floor of consumer {Consumer} on stream {Stream}: {Error}; /feeds shows " +
        "nothing newer until it can, and keeps trying")]
    public static partial void PollFailed(ILogger logger, string stream, string consumer, string error);

    [LoggerMessage(LogLevel.Information, "The catalogue follows consumer {Consumer} on stream {Stream} at #{Horizon}")]
    public static partial void Recovered(ILogger logger, string stream, string consumer, long horizon);

    [LoggerMessage(LogLevel.Warning, "Listening for catalogue notices on {Subject} failed: {Error}; subscribing again")]
    public static partial void ListenFailed(ILogger logger, string subject, string error);

    [LoggerMessage(LogLevel.Warning, "Refused a /feeds/ws connection: {Max} are open (Catalogue:MaxConnections)")]
    public static partial void TooManySockets(ILogger logger, int max);

    [LoggerMessage(LogLevel.Information, "Closed a /feeds/ws socket: {Reason}")]
    public static partial void SocketClosed(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Warning, "A /feeds/ws socket could not read the catalogue: {Error}; it was closed (1011) and the client resumes with ?after=")]
    public static partial void SocketReadFailed(ILogger logger, string error);
}
