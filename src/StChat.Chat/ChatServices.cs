using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StChat.Chat.Accounts;
using StChat.Chat.Conversations;

namespace StChat.Chat;

// What every connection needs, resolved once.
internal sealed class ChatServices(
    IOptions<ChatOptions> options,
    ChatLogWriter writer,
    MessagePosting posting,
    ChatLogStore store,
    IRoomEventBus bus,
    ChatPresence presence,
    ConversationAccess access,
    ConversationStore conversations,
    ReadMarkers readMarkers,
    SessionSockets sessions,
    AccountSockets accountSockets,
    ChatMetrics metrics,
    TimeProvider time,
    ILogger<ChatSession> logger)
{
    public ChatOptions Options { get; } = options.Value;

    public ChatLogWriter Writer { get; } = writer;

    public MessagePosting Posting { get; } = posting;

    public ChatLogStore Store { get; } = store;

    public IRoomEventBus Bus { get; } = bus;

    public ChatPresence Presence { get; } = presence;

    public ConversationAccess Access { get; } = access;

    public ConversationStore Conversations { get; } = conversations;

    public ReadMarkers ReadMarkers { get; } = readMarkers;

    public SessionSockets Sessions { get; } = sessions;

    public AccountSockets AccountSockets { get; } = accountSockets;

    public ChatMetrics Metrics { get; } = metrics;

    public TimeProvider Time { get; } = time;

    public ILogger Logger { get; } = logger;
}
