"""One builder for a ranker with any loss: a backbone, a score head, a compiled model."""

import os

import keras
from keras import layers

from mlrank_keras.layers.label_names import LabelNames
from mlrank_keras.models.applications import APPLICATIONS, application_backbone
from mlrank_keras.models.backbones import backbone_features, gong_alexnet
from mlrank_keras.models.hub import hub_backbone
from mlrank_keras.validation import positive_int

FEATURES = "features"  # the name of every ranker's feature layer (see `ranker_features`)


def _loss_argument(loss, compile):
    if loss is None:
        if compile:
            raise ValueError("`loss` must be given to compile the ranker (or pass compile=False).")
        return None
    if isinstance(loss, str):  # a registered name: "mlrank_keras>WARPLoss", "...>warp_loss"
        registered = keras.saving.get_registered_object(loss)
        if registered is not None:
            return registered() if isinstance(registered, type) else registered
    try:
        return keras.losses.get(loss)
    except (ValueError, TypeError) as error:
        raise ValueError(
            "`loss` must be a Keras loss: an instance (e.g. mlrank_keras.losses.WARPLoss()), "
            "a loss function, a registered name ('binary_crossentropy', "
            f"'mlrank_keras>WARPLoss') or a loss config. Received: loss={loss!r}"
        ) from error


def named_backbone(backbone, input_shape=None):
    """``backbone`` as a ``keras.Model``: a model as it is, None for :func:`gong_alexnet`, an
    application name for its ImageNet network, any other string for a keras-hub preset."""
    if isinstance(backbone, keras.Model) or backbone is None:
        if input_shape is not None:
            raise ValueError(
                "`input_shape` applies to a named backbone only (a string); the model you "
                f"pass has its own. Received: input_shape={input_shape!r}"
            )
        return gong_alexnet() if backbone is None else backbone
    if isinstance(backbone, os.PathLike):
        backbone = os.fspath(backbone)
    if not isinstance(backbone, str) or not backbone:
        raise ValueError(
            "`backbone` must be a keras.Model, None, an application name "
            f"({sorted(APPLICATIONS)}) or a keras-hub preset name or folder. "
            f"Received: backbone={backbone!r}"
        )
    if backbone in APPLICATIONS:
        return application_backbone(backbone, input_shape or (224, 224, 3), weights="imagenet")
    try:
        return hub_backbone(backbone, image_shape=input_shape)
    except ValueError as error:
        raise ValueError(
            "`backbone` must be a keras.Model, None, an application name "
            f"({sorted(APPLICATIONS)}) or a keras-hub preset name or folder: {error}"
        ) from None


def build_ranker(
    num_labels,
    loss,
    backbone=None,
    optimizer=None,
    metrics=None,
    head=None,
    compile=True,
    name="ranker",
    label_names=None,
    input_shape=None,
    **compile_kwargs,
):
    """A ranker: any backbone, a score head of one score per label, compiled with any loss.

    The model is ``images -> backbone -> features -> head -> scores``. The features (the
    backbone's output, average-pooled when it outputs feature maps) are the output of the
    layer named ``"features"``, so :func:`ranker_features` reaches them in every ranker, and
    Li's label-count and threshold heads attach to any of them.

    Args:
        num_labels: the number of labels.
        loss: a Keras loss: one of :mod:`mlrank_keras.losses` (``WARPLoss()``,
            ``LSEPLoss()``, ...) or Keras's (``"binary_crossentropy"``), as an instance,
            function, registered name or config. None only with ``compile=False``.
        backbone: a ``keras.Model`` from images to features (vectors or maps), e.g. from
            :func:`cpu_alexnet`, :func:`gong_alexnet`, :func:`vgg16`; or a name: one of
            :data:`APPLICATIONS` (``"resnet50"``: ``keras.applications`` with ImageNet
            weights, downloaded by Keras and cached; see :func:`application_backbone` for a
            local weights file), or a keras-hub preset name or local preset folder
            (``"resnet_50_imagenet"``, :func:`hub_backbone`). A named backbone's input
            preprocessing is inside the model: feed it raw RGB pixels in [0, 255]
            (``normalization=None`` in the data pipeline). None for :func:`gong_alexnet` at
            its paper sizes. The backbone is one nested layer (:func:`ranker_backbone`).
        optimizer: a Keras optimizer; None for ``Adam(1e-3)``.
        metrics: passed to ``compile``, e.g. ``[mlrank_keras.metrics.PerClassRecall(k=3)]``.
        head: None for ``Dense(num_labels, name="scores")``, or a callable from the
            feature tensor to the scores ``(batch, num_labels)`` (a layer, or a function
            that applies layers, as the transformation model's ``A w`` head does).
        compile: compile with ``loss``, ``optimizer`` and ``metrics`` (False skips it).
        name: the model's name.
        label_names: None, or one name per label: the scores then pass through a
            ``LabelNames`` layer, so the ``.keras`` file carries the names and per-label
            thresholds (``model_label_names``, ``set_thresholds``, ``decide_tags``).
        input_shape: the image shape of a named backbone (default: 224 x 224 x 3 for an
            application, the preset's image size for keras-hub).
        **compile_kwargs: further arguments of ``model.compile`` (``jit_compile``,
            ``steps_per_execution``, ``loss_weights``, ...).

    Returns:
        A functional ``keras.Model`` from images to one score per label.

    Example:
    >>> from mlrank_keras.losses import WARPLoss
    >>> from mlrank_keras.models import cpu_alexnet
    >>> model = build_ranker(10, WARPLoss(), backbone=cpu_alexnet(28, width=0.25))
    >>> model.output_shape
    (None, 10)
    >>> ranker = build_ranker(10, "binary_crossentropy", backbone=cpu_alexnet(28, width=0.25))
    >>> ranker_features(ranker).output_shape
    (None, 64)
    """
    num_labels = positive_int(num_labels, "num_labels")
    loss = _loss_argument(loss, compile)
    # A head that attends over the feature maps (LabelQueryHead) gets them unpooled.
    pool = not getattr(head, "takes_feature_maps", False)
    inputs, features = backbone_features(named_backbone(backbone, input_shape), pool=pool)
    features = layers.Identity(name=FEATURES)(features)
    if head is not None and not callable(head):
        raise ValueError(
            "`head` must be None or a callable (a layer, or a function of the features "
            f"tensor) giving one score per label. Received: head={head!r}"
        )
    scores = (head or layers.Dense(num_labels, name="scores"))(features)
    if not hasattr(scores, "shape") or not hasattr(scores, "dtype"):
        raise ValueError(
            f"`head` must return one tensor of (batch, num_labels={num_labels}) scores. "
            f"Received: a {type(scores).__name__} from head={head!r}"
        )
    if tuple(scores.shape)[1:] != (num_labels,):
        raise ValueError(
            f"`head` must output (batch, num_labels={num_labels}) scores. "
            f"Received: shape {tuple(scores.shape)}"
        )
    if label_names is not None:
        scores = LabelNames(label_names, name="label_names")(scores)
    model = keras.Model(inputs, scores, name=name)
    if compile:
        model.compile(
            optimizer=optimizer or keras.optimizers.Adam(1e-3),
            loss=loss,
            metrics=metrics,
            **compile_kwargs,
        )
    elif compile_kwargs:
        raise ValueError(
            f"{sorted(compile_kwargs)} are options of `compile`, which compile=False skips."
        )
    return model


def ranker_features(ranker):
    """The feature extractor of a ranker: images to the output of its ``"features"`` layer.

    Li's heads (section 3.3) train on these features with the CNN frozen; compute them
    once with ``ranker_features(ranker).predict(images)``. The extractor shares the
    ranker's layers. Rankers saved before the feature layer had its name (version 0.1.0
    files) give the input of their ``"scores"`` (or ``"transform"``) layer.
    """
    if not isinstance(ranker, keras.Model):
        raise ValueError(f"`ranker` must be a keras.Model. Received: {type(ranker)!r}")
    names = {layer.name: layer for layer in ranker.layers}
    if FEATURES in names:
        features = names[FEATURES].output
    elif "scores" in names or "transform" in names:
        features = names["scores" if "scores" in names else "transform"].input
    else:
        raise ValueError(
            f"`ranker` must be a model from build_ranker (it has a layer named "
            f"{FEATURES!r}). Received a model with layers {sorted(names)}"
        )
    return keras.Model(ranker.input, features, name=f"{ranker.name}_features")


def ranker_backbone(ranker):
    """The backbone nested in a ranker (a ``keras.Model`` layer): freeze it with
    ``ranker_backbone(model).trainable = False`` (then compile again), read its weights, or
    save it on its own.

    Rankers saved before the backbone was nested (version 0.1.0 files) have their backbone's
    layers spliced into their own graph: for them this is an error that says so.
    """
    if not isinstance(ranker, keras.Model):
        raise ValueError(f"`ranker` must be a keras.Model. Received: {type(ranker)!r}")
    nested = [layer for layer in ranker.layers if isinstance(layer, keras.Model)]
    if not nested:
        raise ValueError(
            f"Model {ranker.name!r} has no nested backbone: it was built by mlrank_keras "
            "0.1.0 or by hand. Rebuild it with build_ranker and transfer the weights "
            "(`new.set_weights(old.get_weights())`: the weights are in the same order)."
        )
    return nested[0]
