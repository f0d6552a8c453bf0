namespace StChat.Bench;

// A chat server under load: ours (StChat.Server chat, durable), or a broadcast peer that keeps nothing: Node `ws`
// or Bun's built-in pub/sub.
internal sealed class ChatTarget(string name, bool stchat, int port, ChildProcess process) : IAsyncDisposable
{
    public const string StChatName = "StChat chat (durable)";
    public const string NodeName = "Node ws broadcast (no persistence)";
    public const string BunName = "Bun pub/sub broadcast (no persistence)";

    public string Name { get; } = name;

    public bool StChat { get; } = stchat;

    public ChildProcess Process { get; } = process;

    public Uri RoomUri(string room, int client) =>
        new(RoomUriTemplate(room).Replace("{i}", client.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));

    // A member's address in `room`, with {i} where the client's number goes (ours names each member by it).
    public string RoomUriTemplate(string room) => StChat
        ? $"ws://127.0.0.1:{port}/rooms/{room}?name=u{{i}}"
        : $"ws://127.0.0.1:{port}/{room}";

    // REST and /ws of our server (accounts and conversations); the Node peer has neither.
    public Uri HttpUri => new($"http://127.0.0.1:{port}/");

    public Uri MultiUri(string token) => new($"ws://127.0.0.1:{port}/ws?access_token={Uri.EscapeDataString(token)}");

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    public static Task<ChatTarget> StartStChatAsync(BenchEnvironment env, string database, CancellationToken ct) =>
        StartStChatAsync(env, database, [], ct);

    // One load generator's clients come from a handful of loopback addresses: the per-address and per-session limits
    // of the server under test are lifted, or they would measure the limits instead of the server.
    public static readonly string[] LiftedClientLimits =
    [
        "--Chat:MaxConnectionsPerAddress=1000000",
        "--Chat:JoinsPerAddressPerMinute=1000000",
        "--Chat:JoinBurstPerAddress=1000000",
        "--Chat:RequestsPerAddressPerMinute=1000000",
        "--Chat:RequestsPerSessionPerMinute=1000000",
    ];

    // `extraArgs` come after the defaults below, so they override them.
    public static async Task<ChatTarget> StartStChatAsync(BenchEnvironment env, string database, string[] extraArgs, CancellationToken ct) =>
        await StartStChatOnAsync(env, await env.Postgres.CreateDatabaseAsync(database, ct), extraArgs, ct);

    // Ours on a database that exists already (and may hold data).
    public static async Task<ChatTarget> StartStChatOnAsync(BenchEnvironment env, string connectionString, string[] extraArgs, CancellationToken ct)
    {
        var port = global::StChat.Testing.TestPorts.GetFreeTcpPort();
        var process = await env.StartServerAsync("chat", "chat is listening on", new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = connectionString,
        },
        [
            $"--Chat:Url=http://127.0.0.1:{port}",
            "--Chat:MaxConnections=60000",
            "--Chat:MessagesPerSecond=1000",
            "--Chat:MessageBurst=1000",
            "--Chat:SendQueueCapacity=4096",
            .. LiftedClientLimits,
            .. extraArgs,
        ], ct);
        return new ChatTarget(StChatName, stchat: true, port, process);
    }

    public static Task<ChatTarget> StartNodeAsync(BenchEnvironment env, CancellationToken ct) =>
        StartPeerAsync(NodeName, port => env.StartNodeAsync("ws-broadcast.mjs", [port], "listening", ct));

    public static Task<ChatTarget> StartBunAsync(BenchEnvironment env, CancellationToken ct) =>
        StartPeerAsync(BunName, port => env.StartBunAsync("bun-broadcast.ts", [port], "listening", ct));

    // Both peers take their port as their one argument and speak the same protocol.
    private static async Task<ChatTarget> StartPeerAsync(string name, Func<string, Task<ChildProcess>> start)
    {
        var port = global::StChat.Testing.TestPorts.GetFreeTcpPort();
        var process = await start(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new ChatTarget(name, stchat: false, port, process);
    }
}
