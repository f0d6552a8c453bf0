namespace StChat.Chat;

/// <summary>Limits and timings of the chat server, bound from the <c>Chat</c> configuration section.</summary>
public sealed record ChatOptions
{
    public const string SectionName = "Chat";
    public const string DefaultUrl = "http://127.0.0.1:8888";
    public const string LocalBus = "local";
    public const string NatsBus = "nats";

    /// <summary>Address Kestrel listens on when <c>--urls</c> is not given.</summary>
    public string Url { get; init; } = DefaultUrl;

    /// <summary>
    /// How events reach the other chat nodes: <c>local</c> (one node) or <c>nats</c> (any number of nodes sharing
    /// one PostgreSQL and one NATS, configured in the <c>Nats</c> section).
    /// </summary>
    public string Bus { get; init; } = LocalBus;

    /// <summary>Subject prefix of what chat nodes publish on NATS.</summary>
    public string SubjectPrefix { get; init; } = "stchat.chat";

    /// <summary>How often a node that cannot reach NATS reads the last seq of the conversations it follows from PostgreSQL.</summary>
    public TimeSpan ReconcileInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>With many nodes: how often a node refreshes its presence row.</summary>
    public TimeSpan PresenceHeartbeat { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>With many nodes: a node silent for this long is dead; its users' exits are written by a survivor.</summary>
    public TimeSpan PresenceTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Whether public rooms accept connections without a session (with <c>?name=</c> or a random name).</summary>
    public bool AllowAnonymous { get; init; } = true;

    /// <summary>How long a session token from <c>POST /api/sessions</c> stays valid.</summary>
    public TimeSpan SessionLifetime { get; init; } = TimeSpan.FromDays(30);

    /// <summary>
    /// How often open sockets are checked against their sessions; those of a session signed out on another node (whose
    /// news did not arrive) or expired are closed with 4001.
    /// </summary>
    public TimeSpan SessionCheckInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Conversations one <c>/ws</c> socket may follow at once.</summary>
    public int MaxSubscriptions { get; init; } = 100;

    /// <summary>Members a group may have, its creator included.</summary>
    public int MaxGroupMembers { get; init; } = 256;

    /// <summary>PBKDF2 iterations of password hashes (ASP.NET Core Identity's PasswordHasher, HMAC-SHA512).</summary>
    public int PasswordIterations { get; init; } = 100_000;

    /// <summary>Failed sign-ins to one account, within <see cref="LoginFailureWindow"/>, before each further one blocks it.</summary>
    public int LoginFailuresPerAccount { get; init; } = 5;

    /// <summary>Failed sign-ins from one client address before each further one blocks the address.</summary>
    public int LoginFailuresPerAddress { get; init; } = 20;

    /// <summary>Longest block of an account after failed sign-ins (each failure doubles it up to this).</summary>
    public TimeSpan LoginAccountBlockMax { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Longest block of a client address after failed sign-ins.</summary>
    public TimeSpan LoginAddressBlockMax { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Failures older than this (since the last one) are forgotten.</summary>
    public TimeSpan LoginFailureWindow { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Accounts one client address may create per hour.</summary>
    public int AccountsPerAddressPerHour { get; init; } = 20;

    /// <summary>Room joined by <c>ws://host/</c>.</summary>
    public string DefaultRoom { get; init; } = "lobby";

    /// <summary>Events replayed to a plain connect (no <c>after</c>) before live events.</summary>
    public int HistoryLength { get; init; } = 50;

    /// <summary>Largest message text in UTF-8 bytes; a larger frame is closed with 1009.</summary>
    public int MaxMessageBytes { get; init; } = 4096;

    /// <summary>
    /// Frames queued for one client; a reader that falls this far behind is disconnected. Also the live events held
    /// for a client while its history is replayed (beyond that, they are read from the log instead).
    /// </summary>
    public int SendQueueCapacity { get; init; } = 256;

    /// <summary>Token bucket refill rate for frames from one client.</summary>
    public double MessagesPerSecond { get; init; } = 10;

    /// <summary>Token bucket size: frames a client may send at once.</summary>
    public int MessageBurst { get; init; } = 20;

    /// <summary>Rate-limited frames tolerated (refilled one per second) before the connection is closed with 1008.</summary>
    public int RateLimitStrikes { get; init; } = 10;

    /// <summary>Shortest interval between two relayed typing notices from one client; extra notices are dropped.</summary>
    public TimeSpan TypingInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A connection that has sent nothing for this long is pinged. The WebSocket checks on a timer per connection, every
    /// quarter of the shorter of this and <see cref="KeepAliveTimeout"/>, so on a node with many connections a longer
    /// interval costs less.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A connection that does not answer a ping within this time is closed as dead.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Longest time one frame may take to be sent; a client that does not take it in time is disconnected.</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Open WebSocket connections accepted by this process; more are refused with HTTP 503.</summary>
    public int MaxConnections { get; init; } = 10_000;

    /// <summary>
    /// Origins besides the server's own (scheme://host[:port], e.g. <c>https://chat.example.com</c>) whose pages may
    /// open chat WebSockets. An upgrade with any other <c>Origin</c> header is refused with 403; one without is allowed.
    /// In the Development environment, http://localhost and http://127.0.0.1 on any port are allowed too.
    /// </summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];

    /// <summary>
    /// Addresses (<c>10.0.0.5</c>) and networks (<c>10.0.0.0/24</c>) of reverse proxies whose <c>X-Forwarded-For</c> and
    /// <c>X-Forwarded-Proto</c> are believed. Empty: the headers are ignored and the client is the TCP peer.
    /// </summary>
    public IReadOnlyList<string> TrustedProxies { get; init; } = [];

    /// <summary>Open WebSocket connections from one client address; more are refused with HTTP 429.</summary>
    public int MaxConnectionsPerAddress { get; init; } = 100;

    /// <summary>WebSocket connections one client address may open per minute (on average), each a possible join and exit.</summary>
    public int JoinsPerAddressPerMinute { get; init; } = 60;

    /// <summary>WebSocket connections one client address may open at once before <see cref="JoinsPerAddressPerMinute"/> applies.</summary>
    public int JoinBurstPerAddress { get; init; } = 30;

    /// <summary>REST requests (<c>/api/</c>) one session may make per minute, in bursts of up to as many.</summary>
    public int RequestsPerSessionPerMinute { get; init; } = 600;

    /// <summary>REST requests (<c>/api/</c>) one client address may make per minute, signed in or not, in bursts of up to as many.</summary>
    public int RequestsPerAddressPerMinute { get; init; } = 1200;

    /// <summary>Largest HTTP request body in bytes (Kestrel's MaxRequestBodySize); a larger one is refused with 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = 64 * 1024;

    /// <summary>Events written in one transaction at most.</summary>
    public int MaxBatchSize { get; init; } = 512;

    /// <summary>Events waiting for the writer; when full, sends are answered with a retryable error.</summary>
    public int WriteQueueCapacity { get; init; } = 10_000;

    /// <summary>How long a sender waits for its message to be stored before it gets a retryable error.</summary>
    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Upper bound of one write attempt (connect + transaction) before it is retried.</summary>
    public TimeSpan WriteAttemptTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>On shutdown, how long exit events may take to be stored before clients are closed anyway.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
