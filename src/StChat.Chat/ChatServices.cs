using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace StChat.Chat;

// What every connection needs, resolved once.
internal sealed class ChatServices(
    IOptions<ChatOptions> options,
    ChatLogWriter writer,
    ChatLogStore store,
    IRoomEventBus bus,
    ChatPresence presence,
    TimeProvider time,
    ILogger<ChatConnection> logger)
{
    public ChatOptions Options { get; } = options.Value;

    public ChatLogWriter Writer { get; } = writer;

    public ChatLogStore Store { get; } = store;

    public IRoomEventBus Bus { get; } = bus;

    public ChatPresence Presence { get; } = presence;

    public TimeProvider Time { get; } = time;

    public ILogger Logger { get; } = logger;
}
