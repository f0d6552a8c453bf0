namespace StChat.Bench;

// Who keeps an object of a heap census alive, told by its type's name: the first namespace in it that belongs to one
// of the owners below, so that an async state machine box or a collection counts for the types in its arguments (the
// box of ChatEndpoint.HandleAsync is StChat's, that of a Kestrel read loop Kestrel's); failing that, the assembly that
// defines the type (a nested type such as CancellationTokenSource's CallbackNode names no namespace). A type that names
// none of them is one of the runtime's own, used by all of them.
internal static class HeapOwner
{
    public const string Kestrel = "Kestrel: the socket, its HTTP/1.1 connection and request, and their pipes";
    public const string AspNetCore = "ASP.NET Core: the request's context, hosting, middleware, authentication and services";
    public const string WebSockets = "System.Net.WebSockets: the WebSocket";
    public const string StChat = "StChat: the chat session, its socket, subscription and send queue";
    public const string Runtime = "Runtime types any of them use (strings, locks, cancellation tokens, tasks, timers)";

    public static readonly string[] All = [Kestrel, AspNetCore, WebSockets, StChat, Runtime];

    // Where two prefixes match at the same place, the first listed wins (Kestrel before the rest of Microsoft.AspNetCore).
    private static readonly (string Prefix, string Owner)[] Namespaces =
    [
        ("StChat.", StChat),
        ("Microsoft.AspNetCore.Server.Kestrel", Kestrel),
        ("System.IO.Pipelines", Kestrel),
        ("System.Net.Sockets", Kestrel),
        ("System.Net.Primitives", Kestrel),
        ("System.Net.WebSockets", WebSockets),
        ("Microsoft.AspNetCore.", AspNetCore),
        ("Microsoft.Extensions.", AspNetCore),
        ("System.Security.Claims", AspNetCore),
        ("System.Threading.RateLimiting", AspNetCore),
        ("System.Diagnostics.Activity", AspNetCore),
        ("System.Diagnostics.DiagnosticSource", AspNetCore),
    ];

    public static string Of(string type, string assembly)
    {
        string? owner = null;
        var at = int.MaxValue;
        foreach (var (prefix, candidate) in Namespaces)
        {
            var index = type.IndexOf(prefix, StringComparison.Ordinal);
            if (index >= 0 && index < at)
            {
                (owner, at) = (candidate, index);
            }
        }

        return owner ?? Namespaces.FirstOrDefault(n => assembly.StartsWith(n.Prefix, StringComparison.Ordinal)).Owner ?? Runtime;
    }
}
