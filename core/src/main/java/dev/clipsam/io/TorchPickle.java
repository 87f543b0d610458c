package dev.clipsam.io;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.Unpickler;
import net.razorvine.pickle.objects.ClassDict;

/**
 * Reads the {@code data.pkl} of a torch zip archive into a list of {@link TensorInfo}, without executing
 * anything: only the handful of globals torch writes for tensors are given meaning, every other class becomes
 * an inert {@link ClassDict}.
 *
 * <p>Two layouts occur. A {@code torch.save(state_dict)} file pickles a {@code collections.OrderedDict} of
 * name to tensor. A TorchScript archive (OpenAI's CLIP {@code .pt}) pickles the module tree: objects of
 * mangled {@code __torch__.*} classes whose attributes are submodules, tensors and flags; joining attribute
 * names with dots gives the state-dict keys. Tensors are {@code torch._utils._rebuild_tensor_v2(storage,
 * offset, size, stride, ...)} with the storage a persistent id {@code ('storage', torch.HalfStorage, key,
 * location, numel)}.
 */
final class TorchPickle {

    /** The persistent id of one storage. */
    record StorageRef(DType dtype, String key, long numel) {
    }

    /** A tensor as pickled: a strided view of a storage. */
    record PickledTensor(StorageRef storage, long offset, long[] size, long[] stride) {
    }

    /** The marker a {@code torch.XxxStorage} global unpickles to. */
    private record StorageType(DType dtype) implements IObjectConstructor {
        @Override
        public Object construct(Object[] args) {
            throw new PickleException("a torch storage class is never called in a checkpoint");
        }
    }

    /**
     * Stand-in for {@code collections.OrderedDict}. A state dict ends with {@code BUILD {'_metadata': ...}};
     * that state is ignored (see the BUILD handling), it must not replace the items.
     */
    static final class OrderedDict extends LinkedHashMap<Object, Object> {
        private static final long serialVersionUID = 1L;
    }

    static {
        for (DType dtype : DType.values()) {
            Unpickler.registerConstructor("torch", dtype.torchStorage(), new StorageType(dtype));
        }
        Unpickler.registerConstructor("torch", "UntypedStorage", new StorageType(DType.UINT8));
        Unpickler.registerConstructor("collections", "OrderedDict", args -> {
            OrderedDict dict = new OrderedDict();
            if (args.length == 1 && args[0] instanceof List<?> pairs) {
                for (Object pair : pairs) {
                    Object[] kv = (Object[]) pair;
                    dict.put(kv[0], kv[1]);
                }
            }
            return dict;
        });
        IObjectConstructor rebuildTensor = args -> new PickledTensor((StorageRef) args[0], toLong(args[1]),
                toLongs(args[2]), toLongs(args[3]));
        Unpickler.registerConstructor("torch._utils", "_rebuild_tensor_v2", rebuildTensor);
        Unpickler.registerConstructor("torch._utils", "_rebuild_tensor", rebuildTensor);
        // nn.Parameter wraps a tensor: (data, requires_grad, backward_hooks[, state])
        IObjectConstructor rebuildParameter = args -> args[0];
        Unpickler.registerConstructor("torch._utils", "_rebuild_parameter", rebuildParameter);
        Unpickler.registerConstructor("torch._utils", "_rebuild_parameter_with_state", rebuildParameter);
    }

    private static final short EMPTY_DICT = '}';
    private static final short SETITEMS = 'u';
    private static final short BUILD = 'b';

    private TorchPickle() {
    }

    /** Unpickles {@code data.pkl} and lists its tensors under their state-dict names. */
    static List<TensorInfo> readTensors(byte[] pickle, boolean torchScript) throws IOException {
        Object root;
        Unpickler unpickler = new Unpickler() {
            /** Dicts keep insertion order (Pyrolite's own SETITEMS goes through a HashMap). */
            @Override
            protected Object dispatch(short opcode) throws IOException {
                if (opcode == EMPTY_DICT) {
                    stack.add(new LinkedHashMap<>());
                    return NO_RETURN_VALUE;
                }
                if (opcode == SETITEMS) {
                    List<Object> items = stack.pop_all_since_marker();
                    @SuppressWarnings("unchecked")
                    Map<Object, Object> target = (Map<Object, Object>) stack.peek();
                    for (int i = 0; i + 1 < items.size(); i += 2) {
                        target.put(items.get(i), items.get(i + 1));
                    }
                    return NO_RETURN_VALUE;
                }
                if (opcode == BUILD) {
                    Object state = stack.pop();
                    if (stack.peek() instanceof OrderedDict) {
                        return NO_RETURN_VALUE; // a state dict's _metadata: not needed, must not replace the items
                    }
                    if (stack.peek() instanceof Map<?, ?> && state instanceof Map<?, ?> attributes) {
                        @SuppressWarnings("unchecked")
                        Map<Object, Object> target = (Map<Object, Object>) stack.peek();
                        target.putAll(attributes); // a TorchScript module: its attributes
                        return NO_RETURN_VALUE;
                    }
                    stack.add(state);
                }
                return super.dispatch(opcode);
            }

            @Override
            protected Object persistentLoad(Object pid) {
                Object[] id = (Object[]) pid;
                if (id.length < 5 || !"storage".equals(id[0]) || !(id[1] instanceof StorageType type)) {
                    throw new PickleException("unsupported persistent id " + java.util.Arrays.deepToString(id));
                }
                return new StorageRef(type.dtype(), String.valueOf(id[2]), toLong(id[4]));
            }
        };
        try {
            root = unpickler.loads(pickle);
        } finally {
            unpickler.close();
        }
        List<TensorInfo> tensors = new ArrayList<>();
        collect("", root, tensors);
        if (torchScript) {
            // Module attributes come back unordered; storages were numbered in state_dict() order.
            tensors.sort(Comparator.comparing(TensorInfo::storageKey, TorchPickle::compareKeys));
        }
        return tensors;
    }

    private static void collect(String prefix, Object node, List<TensorInfo> out) {
        if (node instanceof PickledTensor t) {
            out.add(new TensorInfo(prefix, t.storage().dtype(), t.size(), t.stride(), t.offset(), t.storage().key()));
        } else if (node instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (e.getKey() instanceof String key && !"__class__".equals(key)) {
                    collect(prefix.isEmpty() ? key : prefix + "." + key, e.getValue(), out);
                }
            }
        }
    }

    private static int compareKeys(String a, String b) {
        boolean numeric = a.chars().allMatch(Character::isDigit) && b.chars().allMatch(Character::isDigit);
        return numeric ? Long.compare(Long.parseLong(a), Long.parseLong(b)) : a.compareTo(b);
    }

    private static long toLong(Object o) {
        return ((Number) o).longValue();
    }

    private static long[] toLongs(Object o) {
        Object[] values = (Object[]) o;
        long[] out = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = toLong(values[i]);
        }
        return out;
    }
}
